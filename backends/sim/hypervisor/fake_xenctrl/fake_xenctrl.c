/* The fake libxenctrl (libxenctrl.so.4.17) that real libxl runs on under xenrace (issue 17): the hypervisor
 * calls libxl 4.17 makes for disk and PCI attach and detach of a PV guest. Every other symbol libxl or
 * libxenguest imports is a generated stub that fails loudly (generate-stubs).
 *
 * Nothing is answered here. Each call is one request to the xenrace supervisor of the process actor this runs
 * in, on the connection xc_interface_open makes to XENRACE_HYPERVISOR_PATH, and the supervisor applies it to the
 * World's domains as a step of the actor (runtime/process/hypervisor_service.hpp gives the protocol:
 * "<op> <number>...\n" answered by "<rc> <value>...\n"). So which domains exist, which own a PCI device, and
 * what each call answered are the scheduler's, in the trace, and the same on every run. Outside a process
 * actor there is no hypervisor: xc_interface_open fails and says why. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xen/io/protocols.h>
#include <xenctrl.h>

struct xc_interface_core {
  int fd;                /* the connection to the supervisor */
  pthread_mutex_t lock;  /* one request at a time on it */
};

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger, unsigned open_flags) {
  (void)logger;
  (void)dombuild_logger;
  (void)open_flags;
  const char *path = getenv("XENRACE_HYPERVISOR_PATH");
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path == NULL || *path == '\0' || strlen(path) >= sizeof(addr.sun_path)) {
    fprintf(stderr, "xenrace fake libxenctrl: XENRACE_HYPERVISOR_PATH is %s: this library only answers a program "
                    "run as a xenrace process actor with a hypervisor\n", path == NULL || *path == '\0' ? "not set" : "too long");
    errno = ENOENT;
    return NULL;
  }
  strcpy(addr.sun_path, path);
  struct xc_interface_core *xch = malloc(sizeof(*xch));
  if (xch == NULL) return NULL;
  xch->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (xch->fd < 0 || connect(xch->fd, (const struct sockaddr *)&addr, sizeof(addr)) != 0) {
    const int e = errno;
    fprintf(stderr, "xenrace fake libxenctrl: connect %s: %s\n", path, strerror(e));
    if (xch->fd >= 0) close(xch->fd);
    free(xch);
    errno = e;
    return NULL;
  }
  pthread_mutex_init(&xch->lock, NULL);
  return xch;
}

int xc_interface_close(xc_interface *xch) {
  if (xch == NULL) return 0;
  close(xch->fd);
  pthread_mutex_destroy(&xch->lock);
  free(xch);
  return 0;
}

/* Sends one request and reads its reply. 0 with the reply's values (after rc) in `values`, or -1 with errno:
 * the hypervisor's answer, or EIO when the supervisor's connection broke. */
static int call(xc_interface *xch, char *values, size_t values_size, const char *format, ...) {
  char line[256];
  va_list ap;
  va_start(ap, format);
  const int n = vsnprintf(line, sizeof(line) - 1, format, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof(line) - 1) {
    errno = EINVAL;
    return -1;
  }
  line[n] = '\n';
  char reply[1024];
  size_t got = 0;
  int broken = 0;
  pthread_mutex_lock(&xch->lock);
  for (size_t sent = 0; sent < (size_t)n + 1 && !broken;) {
    const ssize_t w = write(xch->fd, line + sent, (size_t)n + 1 - sent);
    if (w > 0) sent += (size_t)w;
    else if (w < 0 && errno == EINTR) continue;
    else broken = 1;
  }
  while (!broken && (got == 0 || reply[got - 1] != '\n')) {
    if (got == sizeof(reply) - 1) broken = 1;
    const ssize_t r = broken ? 0 : read(xch->fd, reply + got, sizeof(reply) - 1 - got);
    if (r > 0) got += (size_t)r;
    else if (r < 0 && errno == EINTR) continue;
    else broken = 1;
  }
  pthread_mutex_unlock(&xch->lock);
  if (broken) {
    fprintf(stderr, "xenrace fake libxenctrl: the supervisor's connection broke during \"%.*s\"\n", n, line);
    errno = EIO;
    return -1;
  }
  reply[got - 1] = '\0';
  char *rest = NULL;
  const long rc = strtol(reply, &rest, 10);
  if (rc < 0) {
    errno = (int)-rc;
    return -1;
  }
  if (*rest == ' ') ++rest;
  if (values != NULL && values_size > 0) snprintf(values, values_size, "%s", rest);
  return 0;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains, xc_domaininfo_t *info) {
  char values[768];
  if (call(xch, values, sizeof(values), "getinfolist %u %u", first_domain, max_domains) != 0) return -1;
  unsigned int n = 0;
  for (char *p = values; *p != '\0' && n < max_domains;) {
    char *end;
    const unsigned long d = strtoul(p, &end, 10);
    if (end == p || *end != ':') break;
    const char state = end[1];
    memset(&info[n], 0, sizeof(info[n]));
    info[n].domain = (domid_t)d;
    info[n].flags = state == 'd' ? XEN_DOMINF_dying : state == 's' ? XEN_DOMINF_shutdown : XEN_DOMINF_running;
    info[n].max_vcpu_id = 0;
    info[n].tot_pages = info[n].max_pages = 1024;
    ++n;
    p = end + 2;
    while (*p == ' ') ++p;
  }
  return (int)n;
}

const char *xc_domain_get_native_protocol(xc_interface *xch, uint32_t domid) {
  if (call(xch, NULL, 0, "native_protocol %u", domid) != 0) return NULL;
  return XEN_IO_PROTO_ABI_X86_64;
}

int xc_flask_sid_to_context(xc_interface *xc_handle, int sid, char *buf, uint32_t size) {
  (void)buf;
  (void)size;
  return call(xc_handle, NULL, 0, "flask_sid_to_context %d", sid);
}

int xc_domain_ioport_permission(xc_interface *xch, uint32_t domid, uint32_t first_port, uint32_t nr_ports,
                                uint32_t allow_access) {
  return call(xch, NULL, 0, "ioport_permission %u %u %u %u", domid, first_port, nr_ports, allow_access ? 1 : 0);
}

int xc_domain_iomem_permission(xc_interface *xch, uint32_t domid, unsigned long first_mfn, unsigned long nr_mfns,
                               uint8_t allow_access) {
  return call(xch, NULL, 0, "iomem_permission %u %lu %lu %u", domid, first_mfn, nr_mfns, allow_access ? 1 : 0);
}

int xc_domain_irq_permission(xc_interface *xch, uint32_t domid, uint32_t pirq, bool allow_access) {
  return call(xch, NULL, 0, "irq_permission %u %u %u", domid, pirq, allow_access ? 1 : 0);
}

int xc_physdev_map_pirq(xc_interface *xch, uint32_t domid, int index, int *pirq) {
  char values[32];
  if (index < 0) {
    errno = EINVAL;
    return -1;
  }
  if (call(xch, values, sizeof(values), "map_pirq %u %d", domid, index) != 0) return -1;
  *pirq = atoi(values);
  return 0;
}

int xc_physdev_unmap_pirq(xc_interface *xch, uint32_t domid, int pirq) {
  if (pirq < 0) {
    errno = EINVAL;
    return -1;
  }
  return call(xch, NULL, 0, "unmap_pirq %u %d", domid, pirq);
}

int xc_assign_device(xc_interface *xch, uint32_t domid, uint32_t machine_sbdf, uint32_t flag) {
  return call(xch, NULL, 0, "assign_device %u %u %u", domid, machine_sbdf, flag);
}

int xc_test_assign_device(xc_interface *xch, uint32_t domid, uint32_t machine_sbdf) {
  return call(xch, NULL, 0, "test_assign_device %u %u", domid, machine_sbdf);
}

int xc_deassign_device(xc_interface *xch, uint32_t domid, uint32_t machine_sbdf) {
  return call(xch, NULL, 0, "deassign_device %u %u", domid, machine_sbdf);
}
