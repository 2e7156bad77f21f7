#include "aoectl.h"

int
main(int argc, char *argv[])
{
	return aoectl_main(argc, argv);
}
