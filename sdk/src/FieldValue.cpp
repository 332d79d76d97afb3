#include "msgbus/FieldValue.h"

#include "msgbus/Error.h"

#include <string>
#include <utility>

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
    return ofInteger('l', value);
}

FieldValue FieldValue::ofInt32(std::int32_t value) {
    return ofInteger('I', value);
}

FieldValue FieldValue::ofBool(bool value) {
    FieldValue v;
    v.kind = 't';
    v.boolean = value;
    return v;
}

FieldValue FieldValue::ofTimestamp(std::int64_t unixSeconds) {
    return ofInteger('T', unixSeconds);
}

FieldValue FieldValue::ofInteger(char kind, std::int64_t value) {
    FieldValue v;
    v.kind = kind;
    if (!v.isInteger() && kind != 'T')
        throw InvalidArgument("FieldValue::ofInteger: '" + std::string(1, kind) +
                              "' is not an integer kind (b B s u I i l L T)");
    v.integer = value;
    return v;
}

FieldValue FieldValue::ofReal(char kind, double value) {
    if (kind != 'f' && kind != 'd')
        throw InvalidArgument("FieldValue::ofReal: '" + std::string(1, kind) +
                              "' is not a real kind (f d)");
    FieldValue v;
    v.kind = kind;
    v.real = value;
    return v;
}

FieldValue FieldValue::ofDecimal(std::uint8_t decimals, std::int64_t value) {
    FieldValue v;
    v.kind = 'D';
    v.decimals = decimals;
    v.integer = value;
    return v;
}

FieldValue FieldValue::ofArray(std::vector<FieldValue> values) {
    FieldValue v;
    v.kind = 'A';
    v.array = std::move(values);
    return v;
}

FieldValue FieldValue::ofTable(std::vector<FieldEntry> entries) {
    FieldValue v;
    v.kind = 'F';
    v.table = std::move(entries);
    return v;
}

FieldValue FieldValue::ofVoid() {
    return FieldValue{};
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
