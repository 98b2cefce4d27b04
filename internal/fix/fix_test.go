package fix_test
