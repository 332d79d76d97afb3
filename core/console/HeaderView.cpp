#include "core/console/HeaderView.h"

#include "core/util/ErrorText.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include <sstream>

namespace msgbus::core::console {
namespace {

/// A JSON value as display text: a string as it is, anything else as its JSON text.
std::string textOf(const Poco::Dynamic::Var& value) {
    if (value.isString())
        return value.extract<std::string>();
    if (value.isEmpty())
        return "null";
    if (value.type() == typeid(Poco::JSON::Object::Ptr) ||
        value.type() == typeid(Poco::JSON::Array::Ptr)) {
        std::ostringstream out;
        Poco::JSON::Stringifier::stringify(value, out);
        return out.str();
    }
    return value.convert<std::string>();
}

/// A typed header value ({"<kind>": value}) as text: binary ones say so, the others show their
/// value.
std::string headerText(const Poco::Dynamic::Var& typed) {
    if (typed.type() != typeid(Poco::JSON::Object::Ptr))
        return textOf(typed);
    const auto object = typed.extract<Poco::JSON::Object::Ptr>();
    for (const auto& kind : object->getNames()) {
        if (kind == "k64")
            continue;
        if (kind == "x" || kind == "S64")
            return "(binary, base64) " + textOf(object->get(kind));
        return textOf(object->get(kind));
    }
    return "";
}

} // namespace

bool HeaderView::masked(const std::string& name) const {
    const std::string lower = Poco::toLower(name);
    for (const auto& part : _masked)
        if (!part.empty() && lower.find(part) != std::string::npos)
            return true;
    return false;
}

HeaderView::View HeaderView::of(const std::string& envelopeJson) const {
    View out;
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        const auto root = parser.parse(envelopeJson).extract<Poco::JSON::Object::Ptr>();
        const auto add = [this](Entries& to, const std::string& name, const std::string& text) {
            to.emplace_back(name, masked(name) ? "***" : text);
        };
        // getNames(): in the stored order (iterating the object would sort them).
        if (auto properties = root->getObject("properties"))
            for (const auto& name : properties->getNames())
                add(out.properties, name, headerText(properties->get(name)));
        if (auto headers = root->getObject("headers"))
            for (const auto& name : headers->getNames())
                add(out.headers, name, headerText(headers->get(name)));
    } catch (...) {
        out = View{};
        out.headers.emplace_back("(unreadable)",
                                 "the stored headers cannot be read: " + currentErrorText());
    }
    return out;
}

} // namespace msgbus::core::console
