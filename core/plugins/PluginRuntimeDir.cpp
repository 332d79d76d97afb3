#include "core/plugins/PluginRuntimeDir.h"

#include "core/config/ConfigError.h"
#include "core/plugins/PluginGenerationDir.h"

#include <msgbus/Error.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace msgbus::core {
namespace {

const char* kKey = "plugins.runtime_dir";

std::string errnoText(int error) {
    return std::strerror(error);
}

std::string octalMode(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

/// mkdtemp on a copy of pattern (which ends in XXXXXX); returns the path made.
std::string makeUniqueDirectory(const std::string& pattern) {
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!::mkdtemp(buffer.data()))
        throw msgbus::Error("cannot create a directory like " + pattern + ": " + errnoText(errno));
    return buffer.data();
}

/// Where the private directory goes: systemd's RuntimeDirectory= (the first one when several
/// are given), else TMPDIR, else /tmp.
std::string temporaryBase() {
    if (const char* runtime = std::getenv("RUNTIME_DIRECTORY"); runtime && *runtime) {
        std::string first(runtime);
        first = first.substr(0, first.find(':'));
        if (!first.empty())
            return first;
    }
    if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp)
        return tmp;
    return "/tmp";
}

/// Every directory above resolved must be beyond other users' reach: owned by root or the
/// host's user, and writable by nobody else unless sticky (/tmp), or another user could rename
/// the runtime directory away and put their own in its place.
void checkParents(const std::filesystem::path& resolved) {
    for (auto dir = resolved.parent_path(); !dir.empty(); dir = dir.parent_path()) {
        struct stat st {};
        if (::lstat(dir.c_str(), &st) != 0)
            throw ConfigError(kKey, "cannot check the directory " + dir.string() + ": " +
                                        errnoText(errno));
        const bool ownedSafely = st.st_uid == 0 || st.st_uid == ::geteuid();
        const bool othersMayRename = (st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX);
        if (!ownedSafely || othersMayRename)
            throw ConfigError(kKey,
                              "the directory " + dir.string() + " above " + resolved.string() +
                                  " can be changed by other users (owner uid " +
                                  std::to_string(st.st_uid) + ", mode " + octalMode(st.st_mode) +
                                  "): they could put a directory of their own in place of "
                                  "the runtime directory");
        if (dir == dir.parent_path())
            break;
    }
}

/// The configured directory, created when missing; refused unless only the host's user can
/// write to it (anyone else could replace a copy between its writing and its dlopen). Returns
/// it with every symbolic link resolved: a link (another user's, in /tmp) could be pointed
/// elsewhere after the check, the directory it resolved to cannot.
std::string checkConfigured(const std::string& configured) {
    if (::mkdir(configured.c_str(), 0700) != 0 && errno != EEXIST)
        throw ConfigError(kKey,
                          "cannot create the directory " + configured + ": " + errnoText(errno));
    char* real = ::realpath(configured.c_str(), nullptr);
    if (!real)
        throw ConfigError(kKey,
                          "cannot resolve the directory " + configured + ": " + errnoText(errno));
    const std::string path(real);
    std::free(real);
    checkParents(path);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
        throw ConfigError(kKey, "cannot use the directory " + path + ": " + errnoText(errno));
    if (!S_ISDIR(st.st_mode))
        throw ConfigError(kKey, path + " is not a directory");
    if (st.st_uid != ::geteuid())
        throw ConfigError(kKey, "the directory " + path + " is owned by uid " +
                                    std::to_string(st.st_uid) + ", not by the host's user (uid " +
                                    std::to_string(::geteuid()) +
                                    "): another user could replace a plugin library there before "
                                    "it is loaded; use a directory of the host's user, or leave " +
                                    kKey + " unset for a private one");
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        throw ConfigError(kKey, "the directory " + path + " is group- or world-writable (mode " +
                                    octalMode(st.st_mode) +
                                    "): another user could replace a plugin library there "
                                    "before it is loaded; run chmod go-w on it, or leave " +
                                    kKey + " unset for a private one");
    return path;
}

} // namespace

PluginRuntimeDir::PluginRuntimeDir(std::string path, bool isPrivate)
    : _path(std::move(path)), _private(isPrivate) {}

std::shared_ptr<PluginRuntimeDir> PluginRuntimeDir::open(const std::string& configured) {
    if (!configured.empty()) {
        const std::string resolved = checkConfigured(configured);
        return std::shared_ptr<PluginRuntimeDir>(new PluginRuntimeDir(resolved, false));
    }
    const std::string base = temporaryBase();
    try {
        // An unpredictable name, made with mode 0700: nobody can have prepared it.
        std::string path = makeUniqueDirectory(base + "/msgbus-XXXXXX");
        return std::shared_ptr<PluginRuntimeDir>(new PluginRuntimeDir(path, true));
    } catch (const msgbus::Error& e) {
        throw ConfigError(kKey, std::string("not set, and no private directory can be made: ") +
                                    e.what());
    }
}

PluginRuntimeDir::~PluginRuntimeDir() {
    if (!_private)
        return;
    // Ours alone (mkdtemp); remove_all removes symlinks, it never follows them.
    std::error_code ignored;
    std::filesystem::remove_all(_path, ignored);
}

std::shared_ptr<PluginGenerationDir> PluginRuntimeDir::newGeneration(std::uint64_t generation) {
    // A fresh directory per generation and process, even when hosts share a runtime_dir or a
    // directory of a crashed run is still there: nothing already present is ever reused.
    std::string path =
        makeUniqueDirectory(_path + "/gen-" + std::to_string(generation) + "-XXXXXX");
    return std::make_shared<PluginGenerationDir>(std::move(path), shared_from_this());
}

} // namespace msgbus::core
