#include "words.hpp"

namespace syskit::pipekit {

bool split_words(std::string_view text, std::vector<std::string>& words, std::string& error) {
    words.clear();
    std::string word;
    bool in_word = false; // a word has begun, even an empty one such as ''
    std::size_t i = 0, n = text.size();
    while (i < n) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word)
                words.push_back(std::move(word));
            word.clear();
            in_word = false;
            ++i;
            continue;
        }
        if (c == '\\') {
            if (i + 1 == n) {
                error = "a backslash at the end escapes nothing";
                return false;
            }
            if (text[i + 1] != '\n') {
                word += text[i + 1];
                in_word = true;
            }
            i += 2;
            continue;
        }
        if (c == '\'') {
            auto close = text.find('\'', i + 1);
            if (close == std::string_view::npos) {
                error = "a single quote is not closed";
                return false;
            }
            word.append(text.substr(i + 1, close - i - 1));
            in_word = true;
            i = close + 1;
            continue;
        }
        if (c == '"') {
            in_word = true;
            ++i;
            for (;;) {
                if (i == n) {
                    error = "a double quote is not closed";
                    return false;
                }
                char d = text[i];
                if (d == '"') {
                    ++i;
                    break;
                }
                if (d == '\\' && i + 1 < n) {
                    char e = text[i + 1];
                    if (e == '\\' || e == '"' || e == '$' || e == '`') {
                        word += e;
                        i += 2;
                        continue;
                    }
                    if (e == '\n') {
                        i += 2;
                        continue;
                    }
                }
                word += d;
                ++i;
            }
            continue;
        }
        word += c;
        in_word = true;
        ++i;
    }
    if (in_word)
        words.push_back(std::move(word));
    return true;
}

} // namespace syskit::pipekit
