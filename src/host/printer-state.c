/*
 * printer-state.c: the names of print job states (printer.h), which
 * keyrite needs without libcups (printer.c runs in keyrite-paper:
 * paperproc.h).
 */
#include "printer.h"

const char *
kr_printer_state_name(enum kr_print_state state)
{
	switch (state) {
	case KR_PRINT_PENDING:
		return "pending";
	case KR_PRINT_HELD:
		return "held";
	case KR_PRINT_PROCESSING:
		return "printing";
	case KR_PRINT_STOPPED:
		return "stopped";
	case KR_PRINT_CANCELED:
		return "cancelled";
	case KR_PRINT_ABORTED:
		return "aborted";
	case KR_PRINT_COMPLETED:
		return "completed";
	}
	return "unknown";
}
