/* xenrace-libxl: real libxl (the libxenlight the loader finds) doing what `xl block-attach`, `xl block-detach`,
 * `xl pci-attach` and `xl pci-detach` do, as one program a scenario runs as a process actor. It takes the same disk
 * specification xl takes (parsed by libxlutil, as xl parses it), so a run reads like the command a user types:
 *
 *   xenrace-libxl [--log FILE] block-attach DOMID 'format=raw,vdev=xvda,access=rw,target=/path/disk.img'
 *   xenrace-libxl [--log FILE] block-detach DOMID VDEV
 *   xenrace-libxl [--log FILE] pci-attach DOMID BDF       (as `xl pci-attach DOMID BDF`)
 *   xenrace-libxl [--log FILE] pci-detach DOMID BDF       (as `xl pci-detach DOMID BDF`, without -f)
 *
 * Exits 0 when libxl returned 0, 1 when it returned an error, 2 on bad arguments. libxl logs its errors to
 * stderr, as xl does; --log FILE appends them to FILE instead (a scenario keeps them out of the explorer's
 * output, and quotes the last one when the command fails). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <libxlutil.h>
#include <xentoollog.h>

static int usage(void) {
  fprintf(stderr,
          "usage: xenrace-libxl [--log FILE] block-attach DOMID DISKSPEC\n"
          "       xenrace-libxl [--log FILE] block-detach DOMID VDEV\n"
          "       xenrace-libxl [--log FILE] pci-attach DOMID BDF\n"
          "       xenrace-libxl [--log FILE] pci-detach DOMID BDF\n");
  return 2;
}

static int parse_domid(const char *text, uint32_t *domid) {
  char *end = NULL;
  const unsigned long d = strtoul(text, &end, 10);
  if (end == text || *end != '\0' || d >= 0x7ff0) {
    fprintf(stderr, "xenrace-libxl: not a guest domain id: '%s'\n", text);
    return -1;
  }
  *domid = (uint32_t)d;
  return 0;
}

static int block_attach(libxl_ctx *ctx, uint32_t domid, const char *spec) {
  XLU_Config *config = xlu_cfg_init(stderr, "command line");
  if (config == NULL) return 2;
  libxl_device_disk disk;
  libxl_device_disk_init(&disk);
  if (xlu_disk_parse(config, 1, &spec, &disk) != 0) {
    fprintf(stderr, "xenrace-libxl: not a disk specification: '%s'\n", spec);
    xlu_cfg_destroy(config);
    return 2;
  }
  const int rc = libxl_device_disk_add(ctx, domid, &disk, NULL);
  libxl_device_disk_dispose(&disk);
  xlu_cfg_destroy(config);
  return rc == 0 ? 0 : 1;
}

static int block_detach(libxl_ctx *ctx, uint32_t domid, const char *vdev) {
  libxl_device_disk disk;
  libxl_device_disk_init(&disk);
  int rc = libxl_vdev_to_device_disk(ctx, domid, vdev, &disk);
  if (rc == 0) rc = libxl_device_disk_remove(ctx, domid, &disk, NULL);
  libxl_device_disk_dispose(&disk);
  return rc == 0 ? 0 : 1;
}

/* pci-attach and pci-detach: the BDF parsed as xl parses it, then libxl_device_pci_add or (graceful, as xl
 * pci-detach without -f) libxl_device_pci_remove. */
static int pci_command(libxl_ctx *ctx, uint32_t domid, const char *bdf, int attach) {
  XLU_Config *config = xlu_cfg_init(stderr, "command line");
  if (config == NULL) return 2;
  libxl_device_pci pci;
  libxl_device_pci_init(&pci);
  if (xlu_pci_parse_spec_string(config, &pci, bdf) != 0) {
    fprintf(stderr, "xenrace-libxl: not a PCI device: '%s'\n", bdf);
    xlu_cfg_destroy(config);
    return 2;
  }
  const int rc = attach ? libxl_device_pci_add(ctx, domid, &pci, NULL) : libxl_device_pci_remove(ctx, domid, &pci, NULL);
  libxl_device_pci_dispose(&pci);
  xlu_cfg_destroy(config);
  return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "--log") == 0) {
    if (freopen(argv[2], "a", stderr) == NULL) {
      perror(argv[2]);
      return 2;
    }
    argv += 2;
    argc -= 2;
  }
  if (argc != 4) return usage();
  uint32_t domid = 0;
  if (parse_domid(argv[2], &domid) != 0) return 2;
  xentoollog_logger_stdiostream *log = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
  libxl_ctx *ctx = NULL;
  if (libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, (xentoollog_logger *)log) != 0) {
    fprintf(stderr, "xenrace-libxl: libxl_ctx_alloc failed\n");
    return 1;
  }
  int status;
  if (strcmp(argv[1], "block-attach") == 0)
    status = block_attach(ctx, domid, argv[3]);
  else if (strcmp(argv[1], "block-detach") == 0)
    status = block_detach(ctx, domid, argv[3]);
  else if (strcmp(argv[1], "pci-attach") == 0)
    status = pci_command(ctx, domid, argv[3], 1);
  else if (strcmp(argv[1], "pci-detach") == 0)
    status = pci_command(ctx, domid, argv[3], 0);
  else
    status = usage();
  libxl_ctx_free(ctx);
  xtl_logger_destroy((xentoollog_logger *)log);
  return status;
}
