# tests/limits.cmake -- per-CA budgets: window arithmetic and limit variables (unit), the scope of a CA's rate-limit report (unit), orders held and released by the relay (integration).
certfleet_unit_test(unit_budget unit/test_budget.c certfleet_coordinator)
certfleet_unit_test(unit_ratescope unit/test_ratescope.c certfleet_acme_offline)
certfleet_integration_test(limits_budget ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_limits
	$<TARGET_FILE_DIR:certfleet-worker>)
