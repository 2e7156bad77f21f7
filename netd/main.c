#include "netd.h"

int
main(int argc, char *argv[])
{
	return netd_main(argc, argv);
}
