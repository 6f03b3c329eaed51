# tests/tests.mk: extra test programs, included by the Makefile.
#
# The constant-time harness (tests/ct/) is built twice: linked with the
# library's src/crypto/shamir.c, and with src/crypto/shamir.c rebuilt with
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

$(BUILD)/ct/shamir-tablemul.o: src/crypto/shamir.c
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

# --- USB hot-plug under umockdev (tests/integration/t-hotplug.sh) ----------
#
# tests/helpers/hotplug-umockdev.c needs libumockdev and GLib, which nothing
# else links, so it gets this rule instead of the generic helper rule (an
# explicit rule wins over the pattern).  GLib's headers are included as
# system headers so that -Werror applies to our code only.

UMOCKDEV_CFLAGS = $(patsubst -I%,-isystem %,\
	$(shell pkg-config --cflags umockdev-1.0))
UMOCKDEV_LDLIBS = $(shell pkg-config --libs umockdev-1.0)

$(BUILD)/helpers/hotplug-umockdev: tests/helpers/hotplug-umockdev.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (umockdev)")
	$(Q)$(CC) $(KR_CFLAGS) $(UMOCKDEV_CFLAGS) $(KR_LDFLAGS) -o $@ $< \
	    $(LIB) $(KR_LDLIBS) $(UMOCKDEV_LDLIBS)

# The engine's air-gap watch against the same testbed
# (tests/integration/t-airgap-watch-usb.sh).
$(BUILD)/helpers/watch-usb-umockdev: tests/helpers/watch-usb-umockdev.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (umockdev)")
	$(Q)$(CC) $(KR_CFLAGS) $(UMOCKDEV_CFLAGS) $(KR_LDFLAGS) -o $@ $< \
	    $(LIB) $(KR_LDLIBS) $(UMOCKDEV_LDLIBS)

# --- a faulty card for the token layer's read-back check -------------------
#
# tests/shim/p11-corrupt.c is a PKCS#11 module wrapping SoftHSM2 that
# corrupts what it reads back (tests/unit/test_token.c loads it).  Built
# without sanitizers: it runs inside SoftHSM2's process image either way.

P11SHIM = $(BUILD)/shim/p11-corrupt.so
TEST_EXTRA += $(P11SHIM)

$(P11SHIM): tests/shim/p11-corrupt.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (PKCS#11 module)")
	$(Q)$(CC) -std=c11 -D_DEFAULT_SOURCE -O2 -g $(WARN) -fPIC -shared \
	    $(shell pkg-config --cflags p11-kit-1) -o $@ $< -ldl

# test_token loads the shim, so `make unit` must build it too.
$(BUILD)/tests/test_token: $(P11SHIM)
