// permscan: reports unsafe permissions in file trees (book chapter 4).
#include "checks.hpp"
#include "fix.hpp"
#include "options.hpp"
#include "report.hpp"
#include "scan.hpp"

#include "cli/cli.hpp"
#include "out/text.hpp"

using namespace syskit;
using namespace syskit::permscan;

int main(int argc, char** argv) {
    cli::Tool tool("permscan", "permscan - report unsafe file and directory permissions");
    tool.add_format().add_null().add_color().add_quiet();
    Options o;
    add_options(tool.app(), o);
    if (auto rc = tool.parse(argc, argv))
        return *rc;
    if (auto problem = finish(o))
        return cli::usage_error(*problem);

    Owners owners;
    ScanResult found = scan(o.scan, o.walk, owners, !tool.quiet());

    out::Sink sink;
    ReportOptions ro{tool.format(), tool.null(), tool.color_stdout(), out::escape_stdout()};
    bool ok = !found.trouble;
    switch (o.output) {
    case Output::fix:
        ok = fix_findings(found.findings, o.scan.roots, o.fix_setid, o.apply, ro, sink) && ok;
        break;
    case Output::summary:
        print_summary(sink, found.findings, o.scan.enabled, ro);
        break;
    case Output::findings:
        print_findings(sink, owners, found.findings, ro);
        break;
    }
    return out::finish(sink, !ok                    ? cli::exit_trouble
                             : found.findings.empty() ? cli::exit_ok
                                                      : cli::exit_found);
}
