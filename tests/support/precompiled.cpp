// Owns the tests' precompiled headers (courier_precompile in the top
// CMakeLists.txt); every test file reuses them, so this file is empty.
