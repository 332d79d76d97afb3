#include "support/AmqpTestSupport.h"

#include "core/amqp/AmqpConnection.h"
#include "core/amqp/Topology.h"
#include "support/TestEnv.h"

#include <amqp.h>
#include <amqp_framing.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <thread>

namespace msgbus::test {

using core::amqp::amqpBytes;
using core::amqp::AmqpConnection;
using core::amqp::AmqpUrl;

namespace {

std::string rabbitmqctl() {
    const char* ctl = std::getenv("MSGBUS_TEST_RABBITMQCTL");
    if (!ctl || !*ctl)
        CPPUNIT_FAIL("MSGBUS_TEST_RABBITMQCTL is not set: run the tests with `./run test`, or "
                     "start the services and export their settings with "
                     "`eval \"$(tests/support/services.sh env)\"`");
    return ctl;
}

} // namespace

std::string rabbitmqctl(const std::vector<std::string>& args) {
    std::string command = rabbitmqctl();
    for (const auto& arg : args)
        command += " " + shellQuoted(arg);
    std::string output;
    const int rc = runCommand(command, &output);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("rabbitmqctl failed: " + output, 0, rc);
    return output;
}

BrokerUser::BrokerUser(std::string name, const std::string& password) : _name(std::move(name)) {
    const std::string ctl = rabbitmqctl();
    std::string output;
    int rc = runCommand(ctl + " -q add_user " + shellQuoted(_name) + " " + shellQuoted(password),
                        &output);
    // The output is not shown: rabbitmqctl may echo the password.
    CPPUNIT_ASSERT_EQUAL_MESSAGE("rabbitmqctl add_user " + _name + " failed", 0, rc);
    rc = runCommand(ctl + " -q set_permissions -p / " + shellQuoted(_name) + " '.*' '.*' '.*'",
                    &output);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("rabbitmqctl set_permissions: " + output, 0, rc);
}

BrokerUser::~BrokerUser() {
    std::string output;
    if (runCommand(rabbitmqctl() + " -q delete_user " + shellQuoted(_name), &output) != 0)
        std::cerr << "rabbitmqctl delete_user " << _name << " failed: " << output << "\n";
}

void forceCloseConnection(const std::string& name) {
    const std::string ctl = rabbitmqctl();
    std::string list =
        std::string(ctl) + " -q list_connections --no-table-headers pid client_properties 2>&1";
    std::string pid;
    for (int attempt = 0; attempt < 50 && pid.empty(); ++attempt) {
        FILE* pipe = ::popen(list.c_str(), "r");
        CPPUNIT_ASSERT(pipe != nullptr);
        char line[8192];
        while (std::fgets(line, sizeof line, pipe)) {
            std::string text = line;
            if (text.find("\"" + name + "\"") != std::string::npos)
                pid = text.substr(0, text.find_first_of("\t "));
        }
        ::pclose(pipe);
        if (pid.empty())
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CPPUNIT_ASSERT_MESSAGE("no broker connection named " + name, !pid.empty());
    std::string close = std::string(ctl) + " -q close_connection '" + pid +
                        "' 'closed by the msgbus tests' > /dev/null 2>&1";
    CPPUNIT_ASSERT_EQUAL(0, std::system(close.c_str()));
}

void AmqpFixture::setUp() {
    _url = std::make_unique<AmqpUrl>(AmqpUrl::parse(amqpUrl()));
}

void AmqpFixture::tearDown() {
    if (!_url)
        return;
    try {
        AmqpConnection c(*_url, {});
        for (const auto& q : _queues) {
            amqp_queue_delete(c.state(), c.channel(), amqpBytes(q), 0, 0);
            c.checkRpcReply("queue.delete '" + q + "'");
        }
        for (const auto& x : _exchanges) {
            amqp_exchange_delete(c.state(), c.channel(), amqpBytes(x), 0);
            c.checkRpcReply("exchange.delete '" + x + "'");
        }
    } catch (const std::exception& e) {
        std::cerr << "cleanup failed: " << e.what() << "\n";
    }
    _queues.clear();
    _exchanges.clear();
}

std::pair<std::string, std::string> AmqpFixture::declareBound(const std::string& pattern) {
    using namespace core::amqp;
    std::string exchange = uniqueName("x");
    std::string queue = uniqueName("q");
    addExchange(exchange);
    addQueue(queue);
    AmqpConnection admin(*_url, {});
    declareTopology(admin, TopologySpec{{ExchangeSpec{exchange, "topic", false}},
                                        {QueueSpec{queue, true, {{exchange, pattern}}}}});
    return {exchange, queue};
}

std::uint32_t AmqpFixture::messageCount(const std::string& queue) {
    AmqpConnection admin(*_url, {});
    amqp_queue_declare_ok_t* ok = amqp_queue_declare(
        admin.state(), admin.channel(), amqpBytes(queue), 1, 0, 0, 0, amqp_empty_table);
    admin.checkRpcReply("queue.declare (passive) '" + queue + "'");
    return ok->message_count;
}

} // namespace msgbus::test
