#pragma once

#include <string>
#include <vector>

namespace msgbus::core::cli {

/// Each command takes the arguments after its name and returns the process exit code
/// (0 ok, 1 runtime failure); usage and configuration errors throw (exit code 2).
int setup(const std::vector<std::string>& args);
int publish(const std::vector<std::string>& args);
int plugins(const std::vector<std::string>& args);
int run(const std::vector<std::string>& args);
int consume(const std::vector<std::string>& args);
int stats(const std::vector<std::string>& args);
int failedList(const std::vector<std::string>& args);
int failedShow(const std::vector<std::string>& args);
int failedRetry(const std::vector<std::string>& args);
int failedRemove(const std::vector<std::string>& args);
int failedSkip(const std::vector<std::string>& args);
int parkedRelease(const std::vector<std::string>& args);
int cleanupDedup(const std::vector<std::string>& args);
int outboxList(const std::vector<std::string>& args);
int outboxReplay(const std::vector<std::string>& args);
int cleanupOutbox(const std::vector<std::string>& args);
int outboxCancel(const std::vector<std::string>& args);
int check(const std::vector<std::string>& args);
int consoleCommand(const std::vector<std::string>& args);

/// The usage text of `msgbus help`.
std::string usage();

} // namespace msgbus::core::cli
