#pragma once

#include <Poco/Channel.h>
#include <Poco/Message.h>

#include <vector>

namespace msgbus::test {

/// A log channel that keeps every line, for tests that assert what was logged.
class CapturingChannel : public Poco::Channel {
public:
    void log(const Poco::Message& message) override { lines.push_back(message); }
    std::vector<Poco::Message> lines;
};

} // namespace msgbus::test
