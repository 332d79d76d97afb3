#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace msgbus::test {

/// The local three-node RabbitMQ cluster of `tests/support/services.sh cluster-start` (or
/// `./run services start --cluster`), found through what `services.sh env` exports while all its
/// nodes run: MSGBUS_TEST_CLUSTER_URLS, MSGBUS_TEST_CLUSTER_NODES and MSGBUS_TEST_CLUSTER_SCRIPT.
/// Nodes are numbered 1..size() in the order of those lists. Failures throw std::runtime_error
/// with what the command printed.
///
/// A node this object killed and did not start again is started again by the destructor (also
/// when an assertion failed in between), so the next test finds the whole cluster. Tests that
/// kill nodes must run alone (RUN_SERIAL).
class RabbitCluster {
public:
    /// Whether the cluster runs (MSGBUS_TEST_CLUSTER_URLS is set).
    static bool available();

    /// Reads the environment; throws with a hint when the cluster is not available.
    RabbitCluster();
    ~RabbitCluster();
    RabbitCluster(const RabbitCluster&) = delete;
    RabbitCluster& operator=(const RabbitCluster&) = delete;

    int size() const { return static_cast<int>(_urls.size()); }

    /// amqp://user:pass@127.0.0.1:port/%2f of each node, node 1 first.
    std::vector<std::string> urls() const { return _urls; }
    /// The same joined by commas (the form a multi-broker setting takes).
    std::string commaSeparatedUrls() const;
    /// Erlang node names ("msgbus-c1@localhost", ...), node 1 first.
    std::vector<std::string> nodes() const { return _nodes; }
    /// 1..size() for an Erlang node name; 0 when it is none of the cluster's.
    int nodeNumber(const std::string& node) const;

    /// SIGKILLs node n's beam.smp (a crash, no graceful shutdown); returns once it is gone.
    void killNode(int n);
    /// Starts node n again; returns once it runs in the cluster (it sees itself and every other
    /// running node as running).
    void startNode(int n);

    /// rabbitmqctl args... against node n; returns its stdout, throws with its stderr when it
    /// fails.
    std::string ctl(int n, const std::vector<std::string>& args) const;
    /// The same with another CLI tool: "rabbitmq-queues", "rabbitmq-diagnostics", ...
    std::string tool(int n, const std::string& tool, const std::vector<std::string>& args) const;

    /// The node (1..size()) of the quorum queue's current leader, asked of the first node that
    /// answers. While a leader election runs (just after its leader's node died) there is none,
    /// or the dead node is still named (a node this object killed never counts): it asks again
    /// until timeout, then throws. It throws at once when the queue does not exist.
    int nodeOfQueueLeader(const std::string& queue, const std::string& vhost = "/",
                          std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

private:
    void checkNode(int n) const;
    std::string script(const std::vector<std::string>& args) const;

    std::vector<std::string> _urls;
    std::vector<std::string> _nodes;
    std::string _script;
    std::set<int> _killed;
};

} // namespace msgbus::test
