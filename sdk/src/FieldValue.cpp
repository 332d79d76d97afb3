#include "msgbus/FieldValue.h"

namespace msgbus {

FieldValue FieldValue::ofString(std::string value) {
    FieldValue v;
    v.kind = 'S';
    v.text = std::move(value);
    return v;
}

FieldValue FieldValue::ofBytes(std::string value) {
    FieldValue v;
    v.kind = 'x';
    v.text = std::move(value);
    return v;
}

FieldValue FieldValue::ofInt64(std::int64_t value) {
    FieldValue v;
    v.kind = 'l';
    v.integer = value;
    return v;
}

FieldValue FieldValue::ofInt32(std::int32_t value) {
    FieldValue v;
    v.kind = 'I';
    v.integer = value;
    return v;
}

FieldValue FieldValue::ofBool(bool value) {
    FieldValue v;
    v.kind = 't';
    v.boolean = value;
    return v;
}

FieldValue FieldValue::ofTimestamp(std::int64_t unixSeconds) {
    FieldValue v;
    v.kind = 'T';
    v.integer = unixSeconds;
    return v;
}

bool FieldValue::isInteger() const noexcept {
    switch (kind) {
    case 'b':
    case 'B':
    case 's':
    case 'u':
    case 'I':
    case 'i':
    case 'l':
    case 'L':
        return true;
    default:
        return false;
    }
}

bool FieldValue::operator==(const FieldValue& o) const {
    return kind == o.kind && boolean == o.boolean && integer == o.integer && real == o.real &&
           decimals == o.decimals && text == o.text && array == o.array && table == o.table;
}

const FieldValue* findField(const FieldTable& table, std::string_view key) noexcept {
    for (const auto& entry : table)
        if (entry.key == key)
            return &entry.value;
    return nullptr;
}

void setField(FieldTable& table, std::string_view key, FieldValue value) {
    for (auto& entry : table) {
        if (entry.key == key) {
            entry.value = std::move(value);
            return;
        }
    }
    table.push_back(FieldEntry{std::string(key), std::move(value)});
}

} // namespace msgbus
