#pragma once

#include "core/amqp/AmqpUrl.h"

#include <cppunit/TestFixture.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

// Broker helpers shared by the Amqp*Test integration suites, which drive the AMQP classes
// directly. The broker URL and unique names come from TestEnv.h (amqpUrl(), uniqueName()).
namespace msgbus::test {

/// Runs the test broker's rabbitmqctl (MSGBUS_TEST_RABBITMQCTL) with args (each one shell
/// word); returns its output. Fails the test (CppUnit assertion) when it fails.
std::string rabbitmqctl(const std::vector<std::string>& args);

/// Closes, through rabbitmqctl (MSGBUS_TEST_RABBITMQCTL), the broker connection whose
/// client-provided name is name, as an operator or a node shutdown would (connection.close 320
/// CONNECTION_FORCED). Waits up to about 5 s for the connection to show up; fails the test
/// (CppUnit assertion) when it does not or rabbitmqctl fails.
void forceCloseConnection(const std::string& name);

/// A RabbitMQ user of the test broker, made with rabbitmqctl (MSGBUS_TEST_RABBITMQCTL) with full
/// permissions on vhost "/", and deleted again when this goes. The password is passed to
/// rabbitmqctl as one argument, as is: any character works. Fails the test (CppUnit
/// assertion) when rabbitmqctl fails.
class BrokerUser {
public:
    BrokerUser(std::string name, const std::string& password);
    ~BrokerUser();
    BrokerUser(const BrokerUser&) = delete;
    BrokerUser& operator=(const BrokerUser&) = delete;

    const std::string& name() const noexcept { return _name; }

private:
    std::string _name;
};

/// Base of the Amqp*Test fixtures: setUp parses the test broker's URL (amqpUrl()) into _url;
/// tearDown deletes the queues, then the exchanges, the test recorded.
class AmqpFixture : public CppUnit::TestFixture {
public:
    void setUp() override;
    /// A failure to delete is written to std::cerr, never thrown.
    void tearDown() override;

protected:
    /// Records an exchange or a queue for deletion in tearDown.
    void addExchange(std::string name) { _exchanges.push_back(std::move(name)); }
    void addQueue(std::string name) { _queues.push_back(std::move(name)); }

    /// Declares a fresh topic exchange (not durable) and a durable queue bound to it with
    /// pattern, both recorded (before they are declared) for tearDown. Returns {exchange, queue}.
    std::pair<std::string, std::string> declareBound(const std::string& pattern = "#");

    /// The number of messages ready in queue (a passive queue.declare on a connection of its
    /// own).
    std::uint32_t messageCount(const std::string& queue);

    std::unique_ptr<core::amqp::AmqpUrl> _url;

private:
    std::vector<std::string> _exchanges;
    std::vector<std::string> _queues;
};

} // namespace msgbus::test
