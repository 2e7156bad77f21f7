#include "blockd.h"

int
main(int argc, char *argv[])
{
	return blockd_main(argc, argv);
}
