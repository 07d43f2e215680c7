/* The k3d tier's tools image: k3d starts it with `noop` on every cluster create (to gather environment
 * information). Image import through it (save-image) is not provided: use `k3d image import -m direct`. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "noop") == 0) return 0;
  fprintf(stderr, "k3d-tools (homelab-dr k3d tier): only 'noop' is provided; use k3d image import -m direct\n");
  return 2;
}
