#pragma once

// For the tests that read the project's own sources (layering, size limits): header-only, no
// service. MSGBUS_TEST_SOURCE_DIR is the source tree, set by tests/CMakeLists.txt.

#include <filesystem>
#include <string>
#include <vector>

namespace msgbus::test {

inline const std::filesystem::path& sourceRoot() {
    static const std::filesystem::path root{MSGBUS_TEST_SOURCE_DIR};
    return root;
}

/// The C++ sources (.h, .cpp) below dir, recursively.
inline std::vector<std::filesystem::path> cppSourcesUnder(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".h" || ext == ".cpp"))
            files.push_back(entry.path());
    }
    return files;
}

/// file relative to the source tree, as a failure message names it.
inline std::string inTree(const std::filesystem::path& file) {
    return std::filesystem::relative(file, sourceRoot()).string();
}

/// One indented line per finding, for an assertion message.
inline std::string listed(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& l : lines)
        text += "\n  " + l;
    return text;
}

} // namespace msgbus::test
