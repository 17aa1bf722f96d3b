/* tests/abi: a valid shared object that exports no skiff_plugin. */
__attribute__((visibility("default"))) int abi_nosym_answer(void) { return 42; }
