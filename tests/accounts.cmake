# accounts.cmake -- ACME accounts per directory, registered again when the CA forgot them, and actions that end a --wait at once.
certfleet_integration_test(accounts_directory
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_accounts $<TARGET_FILE_DIR:certfleet-worker>)
