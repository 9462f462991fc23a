// The few Python objects tlsctx prints (None, bool, int, str, tuple, list, dict with str keys)
// and the three ways Python turns them into text: repr(), pprint.pformat() and json.dumps().
// tls/printing.hpp builds these from getpeercert(), cipher() and get_ciphers() results.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tls::detail::python {

class Value {
  public:
    enum class Kind { none, boolean, integer, str, tuple, list, dict };
    using Entry = std::pair<std::string, Value>;

    Value() = default;  // None
    static Value boolean(bool b) {
        Value v(Kind::boolean);
        v.integer_ = b ? 1 : 0;
        return v;
    }
    static Value integer(std::int64_t i) {
        Value v(Kind::integer);
        v.integer_ = i;
        return v;
    }
    /// `utf8` is the str's text; bytes that are not UTF-8 stand for U+DC80..U+DCFF (Python's
    /// surrogateescape), so they are escaped, never lost.
    static Value str(std::string utf8) {
        Value v(Kind::str);
        v.text_ = std::move(utf8);
        return v;
    }
    static Value tuple(std::vector<Value> items = {}) { return sequence(Kind::tuple, items); }
    static Value list(std::vector<Value> items = {}) { return sequence(Kind::list, items); }
    /// Entries in insertion order (json.dumps keeps it; pprint sorts by key).
    static Value dict(std::vector<Entry> entries = {}) {
        Value v(Kind::dict);
        v.entries_ = std::move(entries);
        return v;
    }

    Kind kind() const noexcept { return kind_; }
    bool as_bool() const noexcept { return integer_ != 0; }
    std::int64_t as_int() const noexcept { return integer_; }
    const std::string& text() const noexcept { return text_; }
    const std::vector<Value>& items() const noexcept { return items_; }
    const std::vector<Entry>& entries() const noexcept { return entries_; }

  private:
    explicit Value(Kind kind) : kind_(kind) {}
    static Value sequence(Kind kind, std::vector<Value>& items) {
        Value v(kind);
        v.items_ = std::move(items);
        return v;
    }

    Kind kind_ = Kind::none;
    std::int64_t integer_ = 0;
    std::string text_;
    std::vector<Value> items_;
    std::vector<Entry> entries_;
};

/// Python's repr() of a str, UTF-8 encoded.
std::string repr_str(std::string_view utf8);
/// What json.dumps() writes for a str with ensure_ascii: pure ASCII.
std::string json_str(std::string_view utf8);
/// len() of the str whose UTF-8 text this is: code points, not bytes.
std::size_t length(std::string_view utf8) noexcept;
/// str.splitlines(keepends=True).
std::vector<std::string> split_lines(std::string_view utf8);
/// re.findall(r'\S*\s*', text) without its final empty match: each word with the whitespace
/// after it.
std::vector<std::string> split_words(std::string_view utf8);

/// The entries of a dict in pprint's order: sorted by key.
std::vector<const Value::Entry*> sorted_entries(const Value& dict);
/// repr(value) as pprint computes it: dict keys sorted (pprint's sort_dicts=True).
std::string repr(const Value& value);
/// pprint.pformat(value) with the defaults (indent=1, width=80, compact=False): no final newline.
std::string pformat(const Value& value);
/// json.dumps(value) with the defaults: ", " and ": " separators, ensure_ascii, tuples as arrays.
std::string json_dumps(const Value& value);

}  // namespace tls::detail::python
