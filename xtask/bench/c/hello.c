/* Prints one line: used to measure cold start and the smallest executable
   size, not a timed benchmark. */
#include <stdio.h>

int main(void) {
    fputs("Hello, world!\n", stdout);
    return 0;
}
