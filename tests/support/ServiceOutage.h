#pragma once

#include <string>

namespace msgbus::test {

/// Stops one of the shared test services ("rabbitmq" or "mariadb") through
/// $MSGBUS_SERVICES_SCRIPT and starts it again; the destructor starts it again if the test did
/// not (also when an assertion failed in between). Tests using it must run alone (RUN_SERIAL).
class ServiceOutage {
public:
    explicit ServiceOutage(std::string service);
    ~ServiceOutage();
    ServiceOutage(const ServiceOutage&) = delete;
    ServiceOutage& operator=(const ServiceOutage&) = delete;

    void stop();
    void start();

private:
    std::string _service;
    std::string _script;
    bool _stopped = false;
};

/// SIGSTOPs a shared test server (a host that stops answering without closing its
/// connections); SIGCONT again when destroyed, whatever happened. Tests using it must run alone
/// (RUN_SERIAL).
class FrozenService {
public:
    /// recordedPid: the server's pid file under <services>/pids: "mariadbd" or "rabbitmq-beam".
    explicit FrozenService(const std::string& recordedPid);
    ~FrozenService();
    FrozenService(const FrozenService&) = delete;
    FrozenService& operator=(const FrozenService&) = delete;

private:
    void awaitEveryThreadStopped() const;

    int _pid = 0;
};

/// The shared test MariaDB server, frozen.
struct FrozenMariaDb : FrozenService {
    FrozenMariaDb() : FrozenService("mariadbd") {}
};

/// The single-node test RabbitMQ, frozen: it reads nothing, confirms nothing.
struct FrozenRabbitMq : FrozenService {
    FrozenRabbitMq() : FrozenService("rabbitmq-beam") {}
};

} // namespace msgbus::test
