from floe_compiler.cli import main

main()
