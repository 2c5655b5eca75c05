from aepflow.cli import main

main()
