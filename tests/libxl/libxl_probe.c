/* Real libxl 4.17 (Debian's libxenlight) doing what every toolstack does first: create its context, then look
 * at a guest domain. Run as a process actor on the fake libxenctrl against the simulated xenstored. Prints
 * what each call returned; exits 0 when both succeeded. */
#include <stdio.h>
#include <stdlib.h>

#include <libxl.h>
#include <xentoollog.h>

int main(int argc, char **argv) {
  const uint32_t domid = argc > 1 ? (uint32_t)atoi(argv[1]) : 1;
  xentoollog_logger_stdiostream *log = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
  libxl_ctx *ctx = NULL;
  int rc = libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, (xentoollog_logger *)log);
  printf("libxl_ctx_alloc %d\n", rc);
  if (rc != 0) return 1;
  libxl_dominfo info;
  libxl_dominfo_init(&info);
  rc = libxl_domain_info(ctx, &info, domid);
  printf("libxl_domain_info %u %d\n", domid, rc);
  libxl_dominfo_dispose(&info);
  libxl_ctx_free(ctx);
  xtl_logger_destroy((xentoollog_logger *)log);
  return rc == 0 ? 0 : 1;
}
