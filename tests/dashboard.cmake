# tests/dashboard.cmake -- the coordinator's web dashboard, loaded in a real headless Chromium against the running stack.
certfleet_integration_test(dashboard_chromium
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_dashboard
	$<TARGET_FILE_DIR:certfleet-coordinator>)
