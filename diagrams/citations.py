"""Citations: BibTeX for the site, for each page that shows equations, and for the papers.

The pages are read from the site itself (``diagrams/_equation_pages.py``): every page that
includes a cell's anchored equations gets an entry, with its title and the cells it shows, so
the list never drifts from the pages. The site's version is ``gated_ref.__version__``.

URLs are written from the placeholder :data:`SITE` (a reserved ``.invalid`` host), which
``hooks/gated_ref_site.py`` replaces with the ``site_url`` the site is built for.

Writes the snippets ``site.md``, ``pages.md``, ``papers.md``, ``cells.md`` and ``exports.md``
(included by
``docs/cite.md``) and ``publish/gated-ref.bib`` (every entry; copied to the site root).
"""

from __future__ import annotations

import sys
from pathlib import Path

from _equation_pages import DEPENDS, canonical_pages, page_title, page_url

import gated_ref as gr

SEED = 0  # nothing random here
__all__ = ["DEPENDS", "main"]

#: Replaced by the hook with the site's own URL (``site_url`` in mkdocs.yml).
SITE = "https://gated-ref.invalid/"
#: The year of this version (sitebuild.SOURCE_DATE_EPOCH is 2026-01-01).
YEAR = "2026"
AUTHOR = "{gated-ref contributors}"
TITLE = "gated-ref: {LSTM} and {GRU} cells written once in {SymPy}, with derived gradients"

#: The original papers: key -> (entry type, fields). Bibliographic data as published.
PAPERS: dict[str, tuple[str, dict[str, str]]] = {
    "elman1990finding": (
        "article",
        {
            "author": "Elman, Jeffrey L.",
            "title": "Finding Structure in Time",
            "journal": "Cognitive Science",
            "volume": "14",
            "number": "2",
            "pages": "179--211",
            "year": "1990",
            "doi": "10.1207/s15516709cog1402_1",
        },
    ),
    "hochreiter1997long": (
        "article",
        {
            "author": 'Hochreiter, Sepp and Schmidhuber, J{\\"u}rgen',
            "title": "Long Short-Term Memory",
            "journal": "Neural Computation",
            "volume": "9",
            "number": "8",
            "pages": "1735--1780",
            "year": "1997",
            "doi": "10.1162/neco.1997.9.8.1735",
        },
    ),
    "gers2000learning": (
        "article",
        {
            "author": 'Gers, Felix A. and Schmidhuber, J{\\"u}rgen and Cummins, Fred',
            "title": "Learning to Forget: Continual Prediction with {LSTM}",
            "journal": "Neural Computation",
            "volume": "12",
            "number": "10",
            "pages": "2451--2471",
            "year": "2000",
            "doi": "10.1162/089976600300015015",
        },
    ),
    "gers2000recurrent": (
        "inproceedings",
        {
            "author": 'Gers, Felix A. and Schmidhuber, J{\\"u}rgen',
            "title": "Recurrent Nets that Time and Count",
            "booktitle": "Proceedings of the IEEE-INNS-ENNS International Joint Conference "
            "on Neural Networks ({IJCNN} 2000)",
            "volume": "3",
            "pages": "189--194",
            "year": "2000",
            "doi": "10.1109/IJCNN.2000.861302",
        },
    ),
    "cho2014learning": (
        "inproceedings",
        {
            "author": 'Cho, Kyunghyun and van Merri{\\"e}nboer, Bart and Gulcehre, Caglar '
            "and Bahdanau, Dzmitry and Bougares, Fethi and Schwenk, Holger and Bengio, Yoshua",
            "title": "Learning Phrase Representations using {RNN} Encoder--Decoder for "
            "Statistical Machine Translation",
            "booktitle": "Proceedings of the 2014 Conference on Empirical Methods in Natural "
            "Language Processing ({EMNLP})",
            "pages": "1724--1734",
            "publisher": "Association for Computational Linguistics",
            "year": "2014",
            "doi": "10.3115/v1/D14-1179",
        },
    ),
    # the arXiv record's author list (arXiv's own BibTeX export gives the latest version's)
    "cho2014learningv1": (
        "misc",
        {
            "author": 'Cho, Kyunghyun and van Merri{\\"e}nboer, Bart and Gulcehre, Caglar '
            "and Bahdanau, Dzmitry and Bougares, Fethi and Schwenk, Holger and Bengio, Yoshua",
            "title": "Learning Phrase Representations using {RNN} Encoder--Decoder for "
            "Statistical Machine Translation",
            "year": "2014",
            "eprint": "1406.1078v1",
            "archiveprefix": "arXiv",
            "primaryclass": "cs.CL",
            "url": "https://arxiv.org/abs/1406.1078v1",
            "note": "First arXiv version: the reset gate acts after the recurrent matrix "
            "(reset-after); later versions and the EMNLP paper apply it before",
        },
    ),
    "chung2014empirical": (
        "misc",
        {
            "author": "Chung, Junyoung and Gulcehre, Caglar and Cho, KyungHyun and Bengio, Yoshua",
            "title": "Empirical Evaluation of Gated Recurrent Neural Networks on Sequence Modeling",
            "year": "2014",
            "eprint": "1412.3555",
            "archiveprefix": "arXiv",
            "primaryclass": "cs.NE",
            "doi": "10.48550/arXiv.1412.3555",
        },
    ),
    "greff2017lstm": (
        "article",
        {
            "author": "Greff, Klaus and Srivastava, Rupesh K. and Koutn{\\'\\i}k, Jan "
            'and Steunebrink, Bas R. and Schmidhuber, J{\\"u}rgen',
            "title": "{LSTM}: A Search Space Odyssey",
            "journal": "IEEE Transactions on Neural Networks and Learning Systems",
            "volume": "28",
            "number": "10",
            "pages": "2222--2232",
            "year": "2017",
            "doi": "10.1109/TNNLS.2016.2582924",
        },
    ),
    "bengio1994learning": (
        "article",
        {
            "author": "Bengio, Yoshua and Simard, Patrice and Frasconi, Paolo",
            "title": "Learning Long-Term Dependencies with Gradient Descent is Difficult",
            "journal": "IEEE Transactions on Neural Networks",
            "volume": "5",
            "number": "2",
            "pages": "157--166",
            "year": "1994",
            "doi": "10.1109/72.279181",
        },
    ),
    "pascanu2013difficulty": (
        "inproceedings",
        {
            "author": "Pascanu, Razvan and Mikolov, Tomas and Bengio, Yoshua",
            "title": "On the Difficulty of Training Recurrent Neural Networks",
            "booktitle": "Proceedings of the 30th International Conference on Machine Learning",
            "series": "Proceedings of Machine Learning Research",
            "volume": "28",
            "pages": "1310--1318",
            "publisher": "PMLR",
            "year": "2013",
        },
    ),
    "jozefowicz2015empirical": (
        "inproceedings",
        {
            "author": "Jozefowicz, Rafal and Zaremba, Wojciech and Sutskever, Ilya",
            "title": "An Empirical Exploration of Recurrent Network Architectures",
            "booktitle": "Proceedings of the 32nd International Conference on Machine Learning",
            "series": "Proceedings of Machine Learning Research",
            "volume": "37",
            "pages": "2342--2350",
            "publisher": "PMLR",
            "year": "2015",
        },
    ),
    "zhou2016minimal": (
        "article",
        {
            "author": "Zhou, Guo-Bing and Wu, Jianxin and Zhang, Chen-Lin and Zhou, Zhi-Hua",
            "title": "Minimal Gated Unit for Recurrent Neural Networks",
            "journal": "International Journal of Automation and Computing",
            "volume": "13",
            "number": "3",
            "pages": "226--234",
            "year": "2016",
            "doi": "10.1007/s11633-016-1006-2",
        },
    ),
    "li2018independently": (
        "inproceedings",
        {
            "author": "Li, Shuai and Li, Wanqing and Cook, Chris and Zhu, Ce and Gao, Yanbo",
            "title": "Independently Recurrent Neural Network ({IndRNN}): Building A Longer and "
            "Deeper {RNN}",
            "booktitle": "Proceedings of the IEEE Conference on Computer Vision and Pattern "
            "Recognition ({CVPR})",
            "pages": "5457--5466",
            "year": "2018",
        },
    ),
    "sak2014long": (
        "inproceedings",
        {
            "author": "Sak, Ha{\\c{s}}im and Senior, Andrew and Beaufays, Fran{\\c{c}}oise",
            "title": "Long Short-Term Memory Recurrent Neural Network Architectures for Large "
            "Scale Acoustic Modeling",
            "booktitle": "Proc. Interspeech 2014",
            "pages": "338--342",
            "year": "2014",
            "doi": "10.21437/Interspeech.2014-80",
        },
    ),
}

#: The papers to cite with each cell: the one that introduced it first. A cell not listed here
#: is cited by its own ``reference`` text (its module is all a new cell needs).
CELL_PAPERS: dict[str, tuple[str, ...]] = {
    "rnn_tanh": ("elman1990finding",),
    "lstm": ("hochreiter1997long", "gers2000learning"),
    "lstm_peephole": ("gers2000recurrent", "hochreiter1997long", "gers2000learning"),
    "lstm_cifg": ("greff2017lstm", "hochreiter1997long", "gers2000learning"),
    # the reset-after candidate is arXiv v1's; Chung et al. (2014) write the reset-before form
    "gru": ("cho2014learningv1", "cho2014learning"),
    "gru_reset_before": ("cho2014learning",),
    "lstm_1997": ("hochreiter1997long",),
    **{f"lstm_{v}": ("greff2017lstm",) for v in ("nig", "nfg", "nog", "niaf", "noaf", "fgr")},
    **{f"gru_mut{k}": ("jozefowicz2015empirical",) for k in (1, 2, 3)},
    "mgu": ("zhou2016minimal",),
    "indrnn": ("li2018independently",),
    "lstm_proj": ("sak2014long",),
}


def cell_papers(name: str) -> tuple[str, ...]:
    """The BibTeX keys to cite with a cell (none for a cell this script does not know)."""
    return CELL_PAPERS.get(name, ())


def bibtex(kind: str, key: str, fields: dict[str, str]) -> str:
    """One BibTeX entry, fields aligned."""
    width = max(len(k) for k in fields)
    body = "".join(f"  {k.ljust(width)} = {{{v}}},\n" for k, v in fields.items())
    return f"@{kind}{{{key},\n{body}}}\n"


def fence(entries: list[str]) -> str:
    """BibTeX entries as one Markdown code block."""
    return "``` bibtex\n" + "\n".join(entries) + "```\n"


def tex(text: str) -> str:
    """Underscores escaped for a BibTeX field that LaTeX typesets."""
    return text.replace("_", r"\_")


def site_entry() -> str:
    """The whole site (and package): ``@misc``, which every BibTeX style defines (``@software``
    is biblatex's only: classic styles such as ``plain`` drop it with a warning). The version
    goes in ``howpublished``, which they print; ``url`` is printed by biblatex, ``IEEEtran``
    and the natbib styles and ignored by ``plain``."""
    fields = {
        "author": AUTHOR,
        "title": TITLE,
        "howpublished": f"Software, version {gr.__version__}",
        "year": YEAR,
        "url": SITE,
    }
    return bibtex("misc", "gated_ref", fields)


def page_entries() -> list[str]:
    """One entry per page that shows equations with their anchors: cell pages, then the rest."""
    pages = canonical_pages(list(gr.CELL_NAMES))
    shows: dict[str, list[str]] = {}
    for part in ("forward", "backward"):  # cell pages first
        for cell in gr.CELL_NAMES:
            cells = shows.setdefault(pages[(cell, part)], [])
            if cell not in cells:
                cells.append(cell)
    entries = []
    for src, cells in shows.items():
        url = page_url(src)
        key = "gated_ref_" + (url.strip("/").replace("/", "_").replace("-", "_") or "home")
        ids = ", ".join(rf"\texttt{{{tex(c)}.*}}" for c in cells)
        fields = {
            "author": AUTHOR,
            "title": f"{{{page_title(src)}}}",
            "howpublished": f"gated-ref {gr.__version__}",
            "year": YEAR,
            "url": SITE + url,
            "note": f"Equation ids {ids}",
        }
        entries.append(bibtex("misc", key, fields))
    return entries


def paper_entries() -> list[str]:
    """The original papers, in the order the cells cite them."""
    order = list(dict.fromkeys(k for n in gr.CELL_NAMES for k in cell_papers(n)))
    order += [k for k in PAPERS if k not in order]
    return [bibtex(PAPERS[k][0], k, PAPERS[k][1]) for k in order]


def cells_table() -> str:
    """Which papers to cite with each cell, and where its equations are."""
    pages = canonical_pages(list(gr.CELL_NAMES))
    rows = ["| Cell | Equations | Cite |", "| --- | --- | --- |"]
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        src = pages[(name, "forward")]
        keys = ", ".join(f"`{k}`" for k in cell_papers(name)) or spec.reference
        link = f"[{spec.title}]({src}) · [sheet](sheets/{name}.md)"
        rows.append(f"| `{name}` | {link} | {keys} |")
    return "\n".join(rows) + "\n"


def exports_list() -> str:
    """The per-cell LaTeX exports (published by diagrams/equation_exports.py), as a list."""
    rows = []
    for name in gr.CELL_NAMES:
        spec = gr.cell(name)
        count = len(spec.equation_ids) + len(gr.derive(spec).equation_ids)
        link = f"[`{name}.tex`](gr-site:equations/{name}.tex)"
        rows.append(f"- {link}: {spec.title}, {count} equations")
    return "\n".join(rows) + "\n"


def main(out_dir: Path) -> None:
    """Write the snippets and ``publish/gated-ref.bib``."""
    site, pages, papers = [site_entry()], page_entries(), paper_entries()
    (out_dir / "publish").mkdir(parents=True)
    (out_dir / "site.md").write_text(fence(site), encoding="utf-8")
    (out_dir / "pages.md").write_text(fence(pages), encoding="utf-8")
    (out_dir / "papers.md").write_text(fence(papers), encoding="utf-8")
    (out_dir / "cells.md").write_text(cells_table(), encoding="utf-8")
    (out_dir / "exports.md").write_text(exports_list(), encoding="utf-8")
    header = f"% gated-ref {gr.__version__}: how to cite (generated by diagrams/citations.py)\n\n"
    text = header + "\n".join(site + pages + papers)
    (out_dir / "publish" / "gated-ref.bib").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
