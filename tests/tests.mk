# tests/tests.mk: extra test programs, included by the Makefile.
#
# The constant-time harness (tests/ct/) is built twice: linked with the
# library's src/shamir.c, and with src/shamir.c rebuilt with
# KR_SHAMIR_TABLE_MUL_FOR_TEST (a deliberately table-based multiply that
# valgrind must flag).  tests/integration/t-ct-valgrind.sh runs both.
# The test-only object comes before libkeyrite.a on the link line, so the
# archive's shamir.o is never pulled in.

CT_BINS = $(BUILD)/ct/ct_shamir $(BUILD)/ct/ct_shamir_tablemul
TEST_EXTRA += $(CT_BINS)

$(BUILD)/ct/ct_shamir: tests/ct/ct_shamir.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KR_CFLAGS) $(KR_LDFLAGS) -o $@ $< $(LIB) $(KR_LDLIBS)

$(BUILD)/ct/shamir-tablemul.o: src/shamir.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (KR_SHAMIR_TABLE_MUL_FOR_TEST)")
	$(Q)$(CC) $(KR_CFLAGS) -DKR_SHAMIR_TABLE_MUL_FOR_TEST -c -o $@ $<

$(BUILD)/ct/ct_shamir_tablemul: tests/ct/ct_shamir.c \
    $(BUILD)/ct/shamir-tablemul.o $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(KR_CFLAGS) $(KR_LDFLAGS) -o $@ $< \
	    $(BUILD)/ct/shamir-tablemul.o $(LIB) $(KR_LDLIBS)

-include $(wildcard $(BUILD)/ct/*.d)
