#include "core/plugins/PluginGenerationDir.h"

#include "core/plugins/PluginRuntimeDir.h"

#include <msgbus/Error.h>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace msgbus::core {
namespace {

std::string errnoText(int error) {
    return std::strerror(error);
}

/// A file descriptor closed on scope exit.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : _fd(fd) {}
    ~FileDescriptor() {
        if (_fd >= 0)
            ::close(_fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const noexcept { return _fd; }
    /// Closes now, reporting the error (a failed close can mean unwritten data).
    int close() {
        int rc = ::close(_fd);
        _fd = -1;
        return rc;
    }

private:
    int _fd;
};

void writeAll(int fd, const char* data, std::size_t size, const std::string& path) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw msgbus::Error("cannot write " + path + ": " + errnoText(errno));
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

} // namespace

PluginGenerationDir::PluginGenerationDir(std::string path,
                                         std::shared_ptr<PluginRuntimeDir> runtime)
    : _path(std::move(path)), _runtime(std::move(runtime)) {}

PluginGenerationDir::~PluginGenerationDir() {
    // Only what this object made; rmdir leaves the directory when anything else is in it.
    for (const auto& file : _created)
        ::unlink(file.c_str());
    ::rmdir(_path.c_str());
}

std::string PluginGenerationDir::copyIn(const std::string& source, const std::string& pluginId) {
    FileDescriptor in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0)
        throw msgbus::Error("cannot read " + source + ": " + errnoText(errno));

    // Written under a temporary name first: the final name carries the hash of what was copied.
    const std::string temp = _path + "/." + pluginId + ".partial";
    FileDescriptor out(
        ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (out.get() < 0)
        throw msgbus::Error("cannot create " + temp + ": " + errnoText(errno));
    _created.push_back(temp);

    Poco::SHA2Engine digest(Poco::SHA2Engine::SHA_256);
    std::vector<char> buffer(1 << 16);
    for (;;) {
        ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw msgbus::Error("cannot read " + source + ": " + errnoText(errno));
        if (n == 0)
            break;
        digest.update(buffer.data(), static_cast<unsigned>(n));
        writeAll(out.get(), buffer.data(), static_cast<std::size_t>(n), temp);
    }
    // Read and execute only: nothing rewrites a library the host has mapped.
    if (::fchmod(out.get(), 0500) != 0 || out.close() != 0)
        throw msgbus::Error("cannot finish " + temp + ": " + errnoText(errno));

    const std::string stem = std::filesystem::path(source).stem().string();
    const std::string hash = Poco::DigestEngine::digestToHex(digest.digest()).substr(0, 12);
    const std::string target = _path + "/" + pluginId + "-" + stem + "-" + hash + ".so";
    // link() never replaces nor follows an existing entry: whatever is at target already is
    // refused, not loaded.
    if (::link(temp.c_str(), target.c_str()) != 0)
        throw msgbus::Error("cannot create " + target + ": " + errnoText(errno));
    ::unlink(temp.c_str());
    _created.back() = target; // the temporary name was the last one recorded
    return target;
}

} // namespace msgbus::core
