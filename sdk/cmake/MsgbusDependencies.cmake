# Finds what msgbus and its plugins link against, working around Debian 12's packaging.

# Debian's PocoDataMySQLTargets.cmake links MySQL::client, which no file defines: define it from
# libmariadb before Poco's files are read.
if(NOT TARGET MySQL::client)
    find_library(MARIADB_CLIENT_LIB mariadb)
    if(MARIADB_CLIENT_LIB)
        add_library(MySQL::client UNKNOWN IMPORTED)
        set_target_properties(MySQL::client PROPERTIES
            IMPORTED_LOCATION ${MARIADB_CLIENT_LIB}
            INTERFACE_INCLUDE_DIRECTORIES /usr/include/mariadb)
    endif()
endif()

if(MSGBUS_SDK_ONLY)
    find_package(Poco REQUIRED COMPONENTS Foundation Util JSON Data)
else()
    find_package(Poco REQUIRED COMPONENTS Foundation Util JSON Net NetSSL Data DataMySQL DataSQLite)
    find_package(rabbitmq-c CONFIG REQUIRED)
endif()
