# demo.cmake -- the README's demo from a purged stack, three rounds in a row, then with its CA unreachable (tests/integration/demo_repeat).
# It brings up a stack of its own (state in the build tree, ports from the test
# port base + 20: base+20..base+39), so it needs neither the test stack nor
# with-env; it holds the stack lock so that no other integration test shares
# the machine with two stacks' worth of work, and the flow tests' lock
# (tests/flow.cmake): they hold no stack lock, and their ports (base+26..29,
# +36, +40) are inside the demo stack's. One round takes about 35 s.
set(CERTFLEET_DEMO_ROUNDS 3 CACHE STRING "Rounds of stack purge + demo in the demo_repeat test")
math(EXPR CERTFLEET_DEMO_PORT_BASE "${CERTFLEET_TEST_PORT_BASE} + 20")
add_test(NAME demo_repeat COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/integration/demo_repeat
	${CERTFLEET_DEMO_ROUNDS})
set_tests_properties(demo_repeat PROPERTIES LABELS integration TIMEOUT 1200
	RESOURCE_LOCK "stack;flow_ports"
	ENVIRONMENT "CERTFLEET_BIN=${CMAKE_BINARY_DIR}/bin;CERTFLEET_DEMO_STATE=${CMAKE_BINARY_DIR}/demo-stack;CERTFLEET_DEMO_PORT_BASE=${CERTFLEET_DEMO_PORT_BASE}")
