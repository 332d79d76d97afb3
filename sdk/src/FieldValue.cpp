#include "msgbus/FieldValue.h"

#include "msgbus/Error.h"

#include <initializer_list>
#include <string>
#include <utility>

namespace msgbus {

namespace {

// The factories that take a kind accept only the kinds whose value they are given.
void requireCategory(FieldKind kind, std::initializer_list<FieldCategory> categories,
                     const char* factory, const char* expected) {
    if (const FieldKindTraits* traits = findFieldKind(kind))
        for (FieldCategory category : categories)
            if (traits->category == category)
                return;
    throw InvalidArgument(std::string(factory) + ": '" + std::string(1, fieldKindByte(kind)) +
                          "' is not " + expected);
}

} // namespace

FieldValue FieldValue::ofString(std::string value) {
    FieldValue v;
    v.kind = FieldKind::String;
    v.text = std::move(value);
    return v;
}

FieldValue FieldValue::ofBytes(std::string value) {
    FieldValue v;
    v.kind = FieldKind::Bytes;
    v.text = std::move(value);
    return v;
}

FieldValue FieldValue::ofInt64(std::int64_t value) {
    return ofInteger(FieldKind::Int64, value);
}

FieldValue FieldValue::ofInt32(std::int32_t value) {
    return ofInteger(FieldKind::Int32, value);
}

FieldValue FieldValue::ofBool(bool value) {
    FieldValue v;
    v.kind = FieldKind::Boolean;
    v.boolean = value;
    return v;
}

FieldValue FieldValue::ofTimestamp(std::int64_t unixSeconds) {
    return ofInteger(FieldKind::Timestamp, unixSeconds);
}

FieldValue FieldValue::ofInteger(FieldKind kind, std::int64_t value) {
    requireCategory(kind, {FieldCategory::Integer, FieldCategory::Timestamp},
                    "FieldValue::ofInteger", "an integer kind (b B s u I i l L T)");
    FieldValue v;
    v.kind = kind;
    v.integer = value;
    return v;
}

FieldValue FieldValue::ofReal(FieldKind kind, double value) {
    requireCategory(kind, {FieldCategory::Real}, "FieldValue::ofReal", "a real kind (f d)");
    FieldValue v;
    v.kind = kind;
    v.real = value;
    return v;
}

FieldValue FieldValue::ofInteger(char kind, std::int64_t value) {
    return ofInteger(static_cast<FieldKind>(kind), value);
}

FieldValue FieldValue::ofReal(char kind, double value) {
    return ofReal(static_cast<FieldKind>(kind), value);
}

FieldValue FieldValue::ofDecimal(std::uint8_t decimals, std::int64_t value) {
    FieldValue v;
    v.kind = FieldKind::Decimal;
    v.decimals = decimals;
    v.integer = value;
    return v;
}

FieldValue FieldValue::ofArray(std::vector<FieldValue> values) {
    FieldValue v;
    v.kind = FieldKind::Array;
    v.array = std::move(values);
    return v;
}

FieldValue FieldValue::ofTable(std::vector<FieldEntry> entries) {
    FieldValue v;
    v.kind = FieldKind::Table;
    v.table = std::move(entries);
    return v;
}

FieldValue FieldValue::ofVoid() {
    return FieldValue{};
}

bool FieldValue::isInteger() const noexcept {
    const FieldKindTraits* traits = findFieldKind(kind);
    return traits && traits->category == FieldCategory::Integer;
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
