#pragma once

namespace msgbus::core {

/// The SQL dialects msgbus speaks. Everything that differs between them (DDL, insert-or-ignore,
/// row locking, transaction start) is chosen by this value in the store classes.
enum class Dialect { MySQL, SQLite };

} // namespace msgbus::core
