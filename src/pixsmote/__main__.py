if __name__ == "__main__":
    from pixsmote.cli import main

    raise SystemExit(main())
