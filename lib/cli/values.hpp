// cli/values: checks of option values that answer in words, for the options.cpp files that
// declare options with CLI11.  A value list (one_of) maps only its names: "--format 1" is
// refused, where CLI11's CheckedTransformer also takes the mapped values.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace syskit::cli {

/// A check that takes only the given names: a name is replaced by its text (what CLI11 then
/// converts into the option's variable), anything else is refused with "'xml' is not one of:
/// text, json".  Its description, "{text,json}", is the value list shell completions offer
/// (cli/spec.hpp) and --help shows.
CLI::Validator one_of_texts(std::vector<std::pair<std::string, std::string>> names);

/// one_of_texts for a string option: the names themselves.
CLI::Validator one_of(const std::vector<std::string>& names);

/// one_of_texts for an enum (or integer) option: each name stands for its value.
template <typename T>
CLI::Validator one_of(const std::vector<std::pair<std::string, T>>& names) {
    std::vector<std::pair<std::string, std::string>> texts;
    for (const auto& [name, value] : names) {
        if constexpr (std::is_enum_v<T>)
            texts.emplace_back(name, std::to_string(static_cast<std::underlying_type_t<T>>(value)));
        else
            texts.emplace_back(name, std::to_string(value));
    }
    return one_of_texts(std::move(texts));
}

/// The values a one_of check (or CLI11's IsMember or CheckedTransformer, or an option text
/// "a|b|c") gives the option, separated by spaces; empty when they are not a fixed list.
std::string values_of(const CLI::Option& option);

} // namespace syskit::cli
