# Registers a Qt Test executable as CTest test `<label>.<name>`.
#   switchboard_qt_test(name label [extra sources...] [LIBS libraries...] [BOTH_TRANSPORTS])
# Tests link the server library unless LIBS names what they need instead. BOTH_TRANSPORTS
# also registers `qt.<label>.<name>` (label `qt`), the same suite on `--transport qt`.
function(switchboard_qt_test name label)
    cmake_parse_arguments(ARG "BOTH_TRANSPORTS" "" "LIBS" ${ARGN})
    if(NOT ARG_LIBS)
        set(ARG_LIBS switchboard_server)
    endif()
    add_executable(${name} ${name}.cpp ${ARG_UNPARSED_ARGUMENTS})
    target_link_libraries(${name} PRIVATE ${ARG_LIBS} Qt6::Test switchboard_warnings)
    add_test(NAME ${label}.${name} COMMAND ${name})
    set_tests_properties(${label}.${name} PROPERTIES
        LABELS ${label}
        TIMEOUT 180
        ENVIRONMENT QT_QPA_PLATFORM=offscreen)
    if(ARG_BOTH_TRANSPORTS)
        add_test(NAME qt.${label}.${name} COMMAND ${name})
        set_tests_properties(qt.${label}.${name} PROPERTIES
            LABELS qt
            TIMEOUT 180
            ENVIRONMENT "QT_QPA_PLATFORM=offscreen;SWITCHBOARD_TRANSPORT=qt")
    endif()
endfunction()
