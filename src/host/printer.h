/*
 * printer.h: printing a PDF on a CUPS printer and following the job.
 *
 * The appliance prints the paper record on a locally attached printer
 * through CUPS (libcups, the IPP protocol over cupsd's local socket;
 * CUPS_SERVER chooses another server).  A job is followed until it
 * completes or until something needs a person: the queue is stopped, the
 * printer is out of paper (or jammed, or a cover is open), the printer is
 * gone, or the job was aborted or cancelled.  Every outcome is a
 * KR_ERR_PRINTER_* with a detail that names the printer, the job and what
 * to do.  Nothing here prints to a terminal; the caller shows progress
 * from kr_printer_poll() and records the outcome.
 */
#ifndef KR_PRINTER_H
#define KR_PRINTER_H

#include <stddef.h>

#define KR_PRINTER_NAME_MAX	128

/* A job's state, as CUPS reports it (IPP job-state). */
enum kr_print_state {
	KR_PRINT_PENDING = 3,
	KR_PRINT_HELD = 4,
	KR_PRINT_PROCESSING = 5,
	KR_PRINT_STOPPED = 6,
	KR_PRINT_CANCELED = 7,
	KR_PRINT_ABORTED = 8,
	KR_PRINT_COMPLETED = 9
};

struct kr_print_job {
	char	printer[KR_PRINTER_NAME_MAX];
	int	id;
	enum kr_print_state state;
	char	reasons[384];	/* printer-state-reasons, job-state-reasons */
	char	message[256];	/* printer-state-message, printable */
};

/*
 * The printer to use: name, or CUPS's default printer when name is NULL.
 * out receives its name.  KR_ERR_PRINTER_NONE when CUPS is not running,
 * has no printer by that name, or has no default (the detail says which);
 * KR_ERR_PRINTER_STOPPED when its queue is stopped or rejects jobs;
 * KR_ERR_PRINTER_GONE when it reports itself offline.
 */
int	kr_printer_find(const char *name, char out[KR_PRINTER_NAME_MAX]);

/*
 * Submits a PDF document (pdf[len], titled title) to printer: copies
 * (1..99) of it, on media "A4" or "Letter", not scaled (QR codes keep
 * their printed size).  job is filled with the printer and the job id.
 * KR_ERR_PRINTER_JOB if CUPS refuses it; KR_ERR_PRINTER_STOPPED if the
 * queue stopped or rejects jobs.
 */
int	kr_printer_submit(const char *printer, const char *title,
	    const void *pdf, size_t len, int copies, const char *media,
	    struct kr_print_job *job);

/*
 * Asks CUPS once how job is doing and updates it.  Returns 1 when the job
 * has completed, 0 while it is pending or printing normally, or a
 * KR_ERR_PRINTER_* when it needs a person: STOPPED (the queue was
 * stopped), MEDIA (out of paper, jammed, cover open: the job waits in the
 * queue), GONE (the printer is offline or was removed), JOB (aborted or
 * cancelled).
 */
int	kr_printer_poll(struct kr_print_job *job);

/*
 * Polls every 200 ms until kr_printer_poll() returns non-zero or
 * timeout_ms passes (then KR_ERR_PRINTER_JOB, "not finished after ...").
 * Returns 0 when the job completed.
 */
int	kr_printer_wait(struct kr_print_job *job, unsigned int timeout_ms);

/* "pending", "processing", "completed"... for job states. */
const char	*kr_printer_state_name(enum kr_print_state state);

#endif /* KR_PRINTER_H */
