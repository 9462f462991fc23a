// repr() and json.dumps() of the printable Python values (python_value.hpp).
#include <algorithm>
#include <string>
#include <vector>

#include "python_value.hpp"

namespace tls::detail::python {
namespace {

void append_repr(std::string& out, const Value& value);

void append_items(std::string& out, const std::vector<Value>& items) {
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += i == 0 ? "" : ", ";
        append_repr(out, items[i]);
    }
}

void append_repr(std::string& out, const Value& value) {
    switch (value.kind()) {
        case Value::Kind::boolean:
            out += value.as_bool() ? "True" : "False";
            break;
        case Value::Kind::integer:
            out += std::to_string(value.as_int());
            break;
        case Value::Kind::str:
            out += repr_str(value.text());
            break;
        case Value::Kind::tuple:
            out += '(';
            append_items(out, value.items());
            // A one-element tuple keeps its comma: (x,) and not the parenthesised (x).
            out += value.items().size() == 1 ? ",)" : ")";
            break;
        case Value::Kind::list:
            out += '[';
            append_items(out, value.items());
            out += ']';
            break;
        case Value::Kind::dict: {
            out += '{';
            bool first = true;
            for (const Value::Entry* entry : sorted_entries(value)) {
                out += first ? "" : ", ";
                first = false;
                out += repr_str(entry->first);
                out += ": ";
                append_repr(out, entry->second);
            }
            out += '}';
            break;
        }
        case Value::Kind::none:
        default:
            out += "None";
            break;
    }
}

void append_json(std::string& out, const Value& value) {
    switch (value.kind()) {
        case Value::Kind::boolean:
            out += value.as_bool() ? "true" : "false";
            break;
        case Value::Kind::integer:
            out += std::to_string(value.as_int());
            break;
        case Value::Kind::str:
            out += json_str(value.text());
            break;
        case Value::Kind::tuple:
        case Value::Kind::list: {
            out += '[';
            bool first = true;
            for (const Value& item : value.items()) {
                out += first ? "" : ", ";
                first = false;
                append_json(out, item);
            }
            out += ']';
            break;
        }
        case Value::Kind::dict: {
            out += '{';
            bool first = true;
            for (const Value::Entry& entry : value.entries()) {
                out += first ? "" : ", ";
                first = false;
                out += json_str(entry.first);
                out += ": ";
                append_json(out, entry.second);
            }
            out += '}';
            break;
        }
        case Value::Kind::none:
        default:
            out += "null";
            break;
    }
}

}  // namespace

std::vector<const Value::Entry*> sorted_entries(const Value& dict) {
    std::vector<const Value::Entry*> out;
    out.reserve(dict.entries().size());
    for (const Value::Entry& entry : dict.entries()) {
        out.push_back(&entry);
    }
    // Python compares str by code point; UTF-8 byte order is the same order.
    std::stable_sort(out.begin(), out.end(), [](const Value::Entry* a, const Value::Entry* b) {
        return a->first < b->first;
    });
    return out;
}

std::string repr(const Value& value) {
    std::string out;
    append_repr(out, value);
    return out;
}

std::string json_dumps(const Value& value) {
    std::string out;
    append_json(out, value);
    return out;
}

}  // namespace tls::detail::python
