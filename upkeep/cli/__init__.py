"""The command line: argparse at the edge, workflows underneath."""
