/* The fake libxenctrl (libxenctrl.so.4.17) that real libxl runs on under xenrace (issue 17): the hypervisor
 * calls libxl 4.17 makes, answered without a hypervisor. What is implemented here is what libxl needs to
 * create its context and look at domains; every other symbol libxl or libxenguest imports is a generated stub
 * that fails loudly (generate-stubs).
 *
 * Domains: dom0 and the guests named in XENRACE_FAKE_DOMAINS ("1,2"), all running PV guests. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xen/io/protocols.h>
#include <xenctrl.h>

struct xc_interface_core {
  int unused;
};

static struct xc_interface_core the_interface;

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger, unsigned open_flags) {
  (void)logger;
  (void)dombuild_logger;
  (void)open_flags;
  return &the_interface;
}

int xc_interface_close(xc_interface *xch) {
  (void)xch;
  return 0;
}

/* Whether domain `id` exists: 0 always, guests when XENRACE_FAKE_DOMAINS lists them. */
static int domain_exists(uint32_t id) {
  if (id == 0) return 1;
  const char *list = getenv("XENRACE_FAKE_DOMAINS");
  for (const char *p = list; p != NULL && *p != '\0';) {
    char *end;
    const unsigned long d = strtoul(p, &end, 10);
    if (end == p) break;
    if (d == id) return 1;
    p = *end == ',' ? end + 1 : end;
  }
  return 0;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains, xc_domaininfo_t *info) {
  (void)xch;
  unsigned int n = 0;
  for (uint32_t d = first_domain; d < DOMID_FIRST_RESERVED && n < max_domains; ++d) {
    if (!domain_exists(d)) continue;
    memset(&info[n], 0, sizeof(info[n]));
    info[n].domain = (domid_t)d;
    info[n].flags = XEN_DOMINF_running | (d == 0 ? 0 : 0);
    info[n].max_vcpu_id = 0;
    info[n].tot_pages = info[n].max_pages = 1024;
    ++n;
    if (d > 64) break; /* no guest numbers beyond the few a scenario names */
  }
  return (int)n;
}

const char *xc_domain_get_native_protocol(xc_interface *xch, uint32_t domid) {
  (void)xch;
  (void)domid;
  return XEN_IO_PROTO_ABI_X86_64;
}

int xc_flask_sid_to_context(xc_interface *xc_handle, int sid, char *buf, uint32_t size) {
  (void)xc_handle;
  (void)sid;
  (void)buf;
  (void)size;
  errno = ENOSYS; /* no XSM/FLASK: libxl treats this as "no security label" */
  return -1;
}
