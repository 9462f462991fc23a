// pprint.pformat() with its defaults (indent=1, width=80, sort_dicts=True, compact=False), as
// Python 3.11 lays text out (the version the tests compare with): a value is written as its repr()
// when that fits in what is left of the line, else a container is broken one element per line and a
// str is split into adjacent literals at line ends and word ends. Widths count code points, as
// len() does.
#include <string>
#include <vector>

#include "python_value.hpp"

namespace tls::detail::python {
namespace {

constexpr std::size_t kWidth = 80;

class Printer {
  public:
    std::string take() { return std::move(out_); }

    // `indent`: the column the value starts at; `allowance`: the characters that must still
    // follow it on its last line (closing brackets, a comma).
    void format(const Value& value, std::size_t indent, std::size_t allowance, int level) {
        const std::string rep = repr(value);
        if (length(rep) + indent + allowance > kWidth) {
            switch (value.kind()) {
                case Value::Kind::dict:
                    format_dict(value, indent, allowance, level + 1);
                    return;
                case Value::Kind::tuple: {
                    const char* end = value.items().size() == 1 ? ",)" : ")";
                    out_ += '(';
                    format_items(value.items(), indent, allowance + std::string(end).size(),
                                 level + 1);
                    out_ += end;
                    return;
                }
                case Value::Kind::list:
                    out_ += '[';
                    format_items(value.items(), indent, allowance + 1, level + 1);
                    out_ += ']';
                    return;
                case Value::Kind::str:
                    format_str(value.text(), indent, allowance, level + 1);
                    return;
                case Value::Kind::none:
                case Value::Kind::boolean:
                case Value::Kind::integer:
                default:
                    break;
            }
        }
        out_ += rep;
    }

  private:
    void format_dict(const Value& dict, std::size_t indent, std::size_t allowance, int level) {
        out_ += '{';
        const std::vector<const Value::Entry*> entries = sorted_entries(dict);
        const std::size_t inner = indent + 1;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const bool last = i + 1 == entries.size();
            const std::string key = repr_str(entries[i]->first);
            out_ += key;
            out_ += ": ";
            // The closing brace follows the last value; a comma follows every other one.
            format(entries[i]->second, inner + length(key) + 2, last ? allowance + 1 : 1, level);
            if (!last) {
                out_ += ",\n" + std::string(inner, ' ');
            }
        }
        out_ += '}';
    }

    void format_items(const std::vector<Value>& items, std::size_t indent, std::size_t allowance,
                      int level) {
        const std::size_t inner = indent + 1;
        for (std::size_t i = 0; i < items.size(); ++i) {
            const bool last = i + 1 == items.size();
            if (i > 0) {
                out_ += ",\n" + std::string(inner, ' ');
            }
            format(items[i], inner, last ? allowance : 1, level);
        }
    }

    // A str too long for its line becomes adjacent literals, one per line: first split at line
    // ends, then a line that still does not fit at word ends (each word keeps the whitespace
    // after it). A top-level str (level 1) gets parentheses around them, as Python needs there.
    void format_str(const std::string& text, std::size_t indent, std::size_t allowance, int level) {
        if (text.empty()) {
            out_ += repr_str(text);
            return;
        }
        if (level == 1) {
            indent += 1;
            allowance += 1;
        }
        const std::size_t max_width = kWidth > indent ? kWidth - indent : 0;
        const std::vector<std::string> lines = split_lines(text);
        std::vector<std::string> chunks;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const bool last_line = i + 1 == lines.size();
            const std::string rep = repr_str(lines[i]);
            // Python compares signed widths: a line never fits once the allowance exceeds them.
            if (fits(rep, max_width, last_line ? allowance : 0)) {
                chunks.push_back(rep);
                continue;
            }
            const std::vector<std::string> words = split_words(lines[i]);
            std::string current;
            for (std::size_t j = 0; j < words.size(); ++j) {
                const bool last_word = last_line && j + 1 == words.size();
                const std::string candidate = current + words[j];
                if (!fits(repr_str(candidate), max_width, last_word ? allowance : 0)) {
                    if (!current.empty()) {
                        chunks.push_back(repr_str(current));
                    }
                    current = words[j];
                } else {
                    current = candidate;
                }
            }
            if (!current.empty()) {
                chunks.push_back(repr_str(current));
            }
        }
        if (chunks.size() == 1) {
            out_ += repr_str(text);
            return;
        }
        if (level == 1) {
            out_ += '(';
        }
        for (std::size_t i = 0; i < chunks.size(); ++i) {
            if (i > 0) {
                out_ += '\n' + std::string(indent, ' ');
            }
            out_ += chunks[i];
        }
        if (level == 1) {
            out_ += ')';
        }
    }

    static bool fits(const std::string& rep, std::size_t max_width, std::size_t allowance) {
        return length(rep) + allowance <= max_width;
    }

    std::string out_;
};

}  // namespace

std::string pformat(const Value& value) {
    Printer printer;
    printer.format(value, 0, 0, 0);
    return printer.take();
}

}  // namespace tls::detail::python
