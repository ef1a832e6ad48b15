// What a person would see as broken at one viewport size, as sentences: the main section
// scrolling sideways, an element poking out of the main block or of its column, two stacked
// elements overlapping, and a metric value (or any number) cut short by its box (CSS
// ellipsis). Evaluated by Playwright (``browser_util.layout_problems``); returns a list.
() => {
    const problems = [];
    const name = (el) => {
        const key = [...el.classList].find((c) => c.startsWith("st-key-"));
        const inner = el.querySelector("[data-testid]");
        const id = inner ? inner.getAttribute("data-testid") : el.tagName;
        const text = (el.innerText || "").trim().split("\n")[0].slice(0, 40);
        return `${key || id} "${text}"`;
    };
    const visible = (r) => r.width > 0 && r.height > 0;
    const main = document.querySelector('[data-testid="stMain"]');
    if (main.scrollWidth > main.clientWidth + 1) {
        problems.push(`the main section scrolls sideways (${main.scrollWidth} > ${main.clientWidth} px)`);
    }
    const block = document.querySelector('[data-testid="stMainBlockContainer"]');
    const outer = block.getBoundingClientRect();
    const elements = block.querySelectorAll('[data-testid="stElementContainer"]');
    for (const el of elements) {
        const r = el.getBoundingClientRect();
        if (!visible(r)) continue;
        if (r.left < outer.left - 1 || r.right > outer.right + 1) {
            problems.push(`${name(el)} sticks out of the main block (${r.left}-${r.right} vs ${outer.left}-${outer.right})`);
        }
        const column = el.parentElement.closest('[data-testid="stColumn"]');
        if (column) {
            const c = column.getBoundingClientRect();
            if (r.left < c.left - 1 || r.right > c.right + 1) {
                problems.push(`${name(el)} sticks out of its column (${r.left}-${r.right} vs ${c.left}-${c.right})`);
            }
        }
    }
    for (const stack of block.querySelectorAll('[data-testid="stVerticalBlock"]')) {
        const kids = [...stack.children].filter((k) => visible(k.getBoundingClientRect()));
        for (let i = 1; i < kids.length; i++) {
            const a = kids[i - 1].getBoundingClientRect(), b = kids[i].getBoundingClientRect();
            const across = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            if (across > 2 && a.bottom > b.top + 2) {
                problems.push(`${name(kids[i - 1])} covers ${name(kids[i])} by ${Math.round(a.bottom - b.top)} px`);
            }
        }
    }
    const numeric = /^[-+−]?[0-9][0-9.,]*\s*(%|s|ms|KB|MB|k|M)?$/;
    for (const el of block.querySelectorAll("*")) {
        if (el.children.length > 0 || !el.textContent.trim()) continue;
        const inMetric = el.closest('[data-testid="stMetricValue"]');
        const text = el.textContent.trim();
        if (!inMetric && !numeric.test(text)) continue;
        // The first ancestor (or itself) that clips its text.
        for (let box = el; box && box !== block; box = box.parentElement) {
            const style = getComputedStyle(box);
            if (style.overflowX !== "visible" || style.textOverflow === "ellipsis") {
                if (box.scrollWidth > box.clientWidth + 1) {
                    problems.push(`"${text}" is cut short (${box.scrollWidth} > ${box.clientWidth} px)`);
                }
                break;
            }
        }
    }
    return problems;
}
