# ari.cmake -- tests of ACME Renewal Information (RFC 9773), profiles and renewals: unit and integration on the newer Pebble.
certfleet_unit_test(unit_acme_ari unit/test_acme_ari.c)
