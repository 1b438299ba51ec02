# Dependencies.cmake -- every external library, found through pkg-config (installed by deploy/local/install-deps).
find_package(PkgConfig REQUIRED)

pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto>=3.0)
# libssl: rediss:// only (common/src/redistls.c); libcurl brings its own TLS.
pkg_check_modules(SSL REQUIRED IMPORTED_TARGET libssl>=3.0)
find_package(Threads REQUIRED)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(PROTOBUFC REQUIRED IMPORTED_TARGET libprotobuf-c)
pkg_check_modules(IDN2 REQUIRED IMPORTED_TARGET libidn2)
pkg_check_modules(PSL REQUIRED IMPORTED_TARGET libpsl)
if(CERTFLEET_TESTS)
	pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
