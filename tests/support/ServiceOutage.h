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

/// SIGSTOPs the shared test MariaDB server (a host that stops answering without closing its
/// connections); SIGCONT again when destroyed, whatever happened. Tests using it must run alone
/// (RUN_SERIAL).
class FrozenMariaDb {
public:
    FrozenMariaDb();
    ~FrozenMariaDb();
    FrozenMariaDb(const FrozenMariaDb&) = delete;
    FrozenMariaDb& operator=(const FrozenMariaDb&) = delete;

private:
    int _pid = 0;
};

} // namespace msgbus::test
