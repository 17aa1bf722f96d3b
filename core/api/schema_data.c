/* core/api/schema_data — core/api/schema.txt, embedded as a NUL-terminated
 * string (the build compiles from the repository root; mk/api.mk makes this
 * object depend on the table). */
__asm__(".section .rodata\n"
        ".globl skiff_api_schema_text\n"
        ".type skiff_api_schema_text, @object\n"
        "skiff_api_schema_text:\n"
        ".incbin \"core/api/schema.txt\"\n"
        ".byte 0\n"
        ".size skiff_api_schema_text, . - skiff_api_schema_text\n"
        ".previous\n");
