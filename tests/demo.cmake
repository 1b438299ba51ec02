# demo.cmake -- the README's demo from a purged stack, three rounds in a row, then with its CA unreachable (tests/integration/demo_repeat).
# It brings up a stack of its own (state in the build tree, 40 ports from the
# test port base + 60: base+60..base+99, clear of the test stack's and the
# locked tests' base..base+39), so it needs neither the test stack nor
# with-env, and holds no stack lock: it runs beside the locked tests, one
# after the other the suite's longest chain. It holds the flow tests' lock
# (tests/flow.cmake) instead: one of these three runs beside the chain at a
# time, so that of ctest's two slots (-j nproc) one is always the chain's.
# COST starts it with stack_up. One round takes about 35 s.
set(CERTFLEET_DEMO_ROUNDS 3 CACHE STRING "Rounds of stack purge + demo in the demo_repeat test")
math(EXPR CERTFLEET_DEMO_PORT_BASE "${CERTFLEET_TEST_PORT_BASE} + 60")
add_test(NAME demo_repeat COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/integration/demo_repeat
	${CERTFLEET_DEMO_ROUNDS})
set_tests_properties(demo_repeat PROPERTIES LABELS integration TIMEOUT 1200
	RESOURCE_LOCK flow_ports COST 1000
	ENVIRONMENT "CERTFLEET_BIN=${CMAKE_BINARY_DIR}/bin;CERTFLEET_DEMO_STATE=${CMAKE_BINARY_DIR}/demo-stack;CERTFLEET_DEMO_PORT_BASE=${CERTFLEET_DEMO_PORT_BASE}")
