# msgbus_add_plugin(<name> SOURCES <src>... [LIBRARIES <lib>...])
#
# Builds lib<name>.so, a plugin the msgbus host can load, with the flags its loader relies on:
# hidden visibility (a second generation of the plugin never binds to the first one's symbols),
# -fno-gnu-unique (a unique symbol would make the library impossible to unload), and immediate,
# complete binding (-z now, --no-undefined: a missing symbol fails the build or the load, never a
# message in production).
function(msgbus_add_plugin name)
    cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
    if(NOT ARG_SOURCES)
        message(FATAL_ERROR "msgbus_add_plugin(${name}): SOURCES is required")
    endif()
    add_library(${name} MODULE ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE msgbus::sdk ${ARG_LIBRARIES})
    set_target_properties(${name} PROPERTIES
        PREFIX "lib"
        CXX_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON
        CXX_STANDARD 20
        CXX_STANDARD_REQUIRED ON)
    target_compile_options(${name} PRIVATE -fno-gnu-unique)
    target_link_options(${name} PRIVATE -Wl,-z,now -Wl,--no-undefined)
    if(MSGBUS_PLUGIN_OUTPUT_DIR)
        set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${MSGBUS_PLUGIN_OUTPUT_DIR})
    endif()
endfunction()
