/* The fake libxenctrl (libxenctrl.so.4.17) that real libxl runs on under xenrace (issue 17): the hypervisor
 * calls libxl 4.17 makes, answered without a hypervisor. What is implemented here is what libxl needs to
 * create its context and look at domains; every other symbol libxl or libxenguest imports is a generated stub
 * that fails loudly (generate-stubs).
 *
 * Domains: dom0 and the guests named in XENRACE_FAKE_DOMAINS ("1,2"), all running PV guests.
 *
 * PCI passthrough (libxl_device_pci_add's do_pci_add): the guest is given I/O ports, memory, its interrupt and
 * the device, as Xen grants them to a domain that exists: they succeed for a listed domain and fail with ESRCH
 * for any other. They record nothing: what the scenarios check is what libxl writes to XenStore. */
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

/* An existing domain: 0; else -1 with errno ESRCH, as the hypervisor answers for a domain it does not have. */
static int for_domain(uint32_t domid) {
  if (domain_exists(domid)) return 0;
  errno = ESRCH;
  return -1;
}

int xc_domain_ioport_permission(xc_interface *xch, uint32_t domid, uint32_t first_port, uint32_t nr_ports,
                                uint32_t allow_access) {
  (void)xch;
  (void)first_port;
  (void)nr_ports;
  (void)allow_access;
  return for_domain(domid);
}

int xc_domain_iomem_permission(xc_interface *xch, uint32_t domid, unsigned long first_mfn, unsigned long nr_mfns,
                               uint8_t allow_access) {
  (void)xch;
  (void)first_mfn;
  (void)nr_mfns;
  (void)allow_access;
  return for_domain(domid);
}

int xc_domain_irq_permission(xc_interface *xch, uint32_t domid, uint32_t pirq, bool allow_access) {
  (void)xch;
  (void)pirq;
  (void)allow_access;
  return for_domain(domid);
}

/* The guest's pirq is the host's irq: what Xen gives a PV guest for a legacy interrupt it maps 1:1. */
int xc_physdev_map_pirq(xc_interface *xch, uint32_t domid, int index, int *pirq) {
  (void)xch;
  if (for_domain(domid) != 0) return -1;
  *pirq = index;
  return 0;
}

int xc_physdev_unmap_pirq(xc_interface *xch, uint32_t domid, int pirq) {
  (void)xch;
  (void)pirq;
  return for_domain(domid);
}

int xc_assign_device(xc_interface *xch, uint32_t domid, uint32_t machine_sbdf, uint32_t flag) {
  (void)xch;
  (void)machine_sbdf;
  (void)flag;
  return for_domain(domid);
}

int xc_test_assign_device(xc_interface *xch, uint32_t domid, uint32_t machine_sbdf) {
  (void)xch;
  (void)machine_sbdf;
  return for_domain(domid);
}

int xc_deassign_device(xc_interface *xch, uint32_t domid, uint32_t machine_sbdf) {
  (void)xch;
  (void)machine_sbdf;
  return for_domain(domid);
}
