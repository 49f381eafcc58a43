package synth

import (
	"math"
	"strings"
)

// Branch is one node of the generated organisation: a province, a city or a county.
type Branch struct {
	ID     string // hierarchical id of SPEC §1, e.g. "GD-GZ-TH"
	Name   string // Chinese name, e.g. "天河区"
	NameEN string // pinyin, e.g. "Tianhe"
	Level  int    // 1 province, 2 city, 3 county
}

type unit struct {
	code, name, en string
	kids           []unit
}

// pool is every branch the generator can use, in the order it takes them. Larger scales take more
// provinces, more cities per province and more counties per city.
var pool = []unit{
	{"GD", "广东省", "Guangdong", []unit{
		{"GZ", "广州市", "Guangzhou", []unit{{"TH", "天河区", "Tianhe", nil}, {"YX", "越秀区", "Yuexiu", nil}, {"HZ", "海珠区", "Haizhu", nil}, {"PY", "番禺区", "Panyu", nil}, {"BY", "白云区", "Baiyun", nil}, {"HP", "黄埔区", "Huangpu", nil}}},
		{"SZ", "深圳市", "Shenzhen", []unit{{"NS", "南山区", "Nanshan", nil}, {"FT", "福田区", "Futian", nil}, {"LH", "罗湖区", "Luohu", nil}, {"BA", "宝安区", "Bao'an", nil}, {"LG", "龙岗区", "Longgang", nil}}},
		{"FS", "佛山市", "Foshan", []unit{{"CC", "禅城区", "Chancheng", nil}, {"NH", "南海区", "Nanhai", nil}, {"SD", "顺德区", "Shunde", nil}, {"SS", "三水区", "Sanshui", nil}}},
		{"ZH", "珠海市", "Zhuhai", []unit{{"XZ", "香洲区", "Xiangzhou", nil}, {"DM", "斗门区", "Doumen", nil}, {"JW", "金湾区", "Jinwan", nil}}},
	}},
	{"ZJ", "浙江省", "Zhejiang", []unit{
		{"HZ", "杭州市", "Hangzhou", []unit{{"XH", "西湖区", "Xihu", nil}, {"SC", "上城区", "Shangcheng", nil}, {"GS", "拱墅区", "Gongshu", nil}, {"BJ", "滨江区", "Binjiang", nil}, {"XS", "萧山区", "Xiaoshan", nil}}},
		{"NB", "宁波市", "Ningbo", []unit{{"HS", "海曙区", "Haishu", nil}, {"YZ", "鄞州区", "Yinzhou", nil}, {"BL", "北仑区", "Beilun", nil}, {"ZH", "镇海区", "Zhenhai", nil}}},
		{"WZ", "温州市", "Wenzhou", []unit{{"LC", "鹿城区", "Lucheng", nil}, {"OH", "瓯海区", "Ouhai", nil}, {"LW", "龙湾区", "Longwan", nil}, {"RA", "瑞安市", "Rui'an", nil}}},
		{"SX", "绍兴市", "Shaoxing", []unit{{"YC", "越城区", "Yuecheng", nil}, {"KQ", "柯桥区", "Keqiao", nil}, {"SY", "上虞区", "Shangyu", nil}}},
	}},
	{"JS", "江苏省", "Jiangsu", []unit{
		{"NJ", "南京市", "Nanjing", []unit{{"XW", "玄武区", "Xuanwu", nil}, {"QH", "秦淮区", "Qinhuai", nil}, {"GL", "鼓楼区", "Gulou", nil}, {"JN", "江宁区", "Jiangning", nil}, {"PK", "浦口区", "Pukou", nil}}},
		{"SZ", "苏州市", "Suzhou", []unit{{"GS", "姑苏区", "Gusu", nil}, {"WZ", "吴中区", "Wuzhong", nil}, {"HQ", "虎丘区", "Huqiu", nil}, {"KS", "昆山市", "Kunshan", nil}}},
		{"WX", "无锡市", "Wuxi", []unit{{"LX", "梁溪区", "Liangxi", nil}, {"BH", "滨湖区", "Binhu", nil}, {"XS", "锡山区", "Xishan", nil}, {"HS", "惠山区", "Huishan", nil}}},
		{"CZ", "常州市", "Changzhou", []unit{{"TN", "天宁区", "Tianning", nil}, {"ZL", "钟楼区", "Zhonglou", nil}, {"WJ", "武进区", "Wujin", nil}}},
	}},
	{"SC", "四川省", "Sichuan", []unit{
		{"CD", "成都市", "Chengdu", []unit{{"JJ", "锦江区", "Jinjiang", nil}, {"QY", "青羊区", "Qingyang", nil}, {"WH", "武侯区", "Wuhou", nil}, {"CH", "成华区", "Chenghua", nil}, {"JN", "金牛区", "Jinniu", nil}}},
		{"MY", "绵阳市", "Mianyang", []unit{{"FC", "涪城区", "Fucheng", nil}, {"YX", "游仙区", "Youxian", nil}, {"AZ", "安州区", "Anzhou", nil}}},
		{"NC", "南充市", "Nanchong", []unit{{"SQ", "顺庆区", "Shunqing", nil}, {"GP", "高坪区", "Gaoping", nil}, {"JL", "嘉陵区", "Jialing", nil}}},
	}},
	{"SD", "山东省", "Shandong", []unit{
		{"JN", "济南市", "Jinan", []unit{{"LX", "历下区", "Lixia", nil}, {"SZ", "市中区", "Shizhong", nil}, {"HY", "槐荫区", "Huaiyin", nil}, {"TQ", "天桥区", "Tianqiao", nil}}},
		{"QD", "青岛市", "Qingdao", []unit{{"SN", "市南区", "Shinan", nil}, {"SB", "市北区", "Shibei", nil}, {"HD", "黄岛区", "Huangdao", nil}, {"LS", "崂山区", "Laoshan", nil}}},
		{"YT", "烟台市", "Yantai", []unit{{"ZF", "芝罘区", "Zhifu", nil}, {"LS", "莱山区", "Laishan", nil}, {"FS", "福山区", "Fushan", nil}}},
	}},
	{"HB", "湖北省", "Hubei", []unit{
		{"WH", "武汉市", "Wuhan", []unit{{"JA", "江岸区", "Jiang'an", nil}, {"JH", "江汉区", "Jianghan", nil}, {"WC", "武昌区", "Wuchang", nil}, {"HS", "洪山区", "Hongshan", nil}}},
		{"YC", "宜昌市", "Yichang", []unit{{"XL", "西陵区", "Xiling", nil}, {"WJG", "伍家岗区", "Wujiagang", nil}, {"YL", "夷陵区", "Yiling", nil}}},
		{"XY", "襄阳市", "Xiangyang", []unit{{"XC", "襄城区", "Xiangcheng", nil}, {"FC", "樊城区", "Fancheng", nil}, {"XZ", "襄州区", "Xiangzhou", nil}}},
	}},
	{"FJ", "福建省", "Fujian", []unit{
		{"FZ", "福州市", "Fuzhou", []unit{{"GL", "鼓楼区", "Gulou", nil}, {"TJ", "台江区", "Taijiang", nil}, {"CS", "仓山区", "Cangshan", nil}, {"JA", "晋安区", "Jin'an", nil}}},
		{"XM", "厦门市", "Xiamen", []unit{{"SM", "思明区", "Siming", nil}, {"HL", "湖里区", "Huli", nil}, {"JM", "集美区", "Jimei", nil}, {"HC", "海沧区", "Haicang", nil}}},
		{"QZ", "泉州市", "Quanzhou", []unit{{"LC", "鲤城区", "Licheng", nil}, {"FZ", "丰泽区", "Fengze", nil}, {"JJ", "晋江市", "Jinjiang", nil}}},
	}},
	{"HA", "河南省", "Henan", []unit{
		{"ZZ", "郑州市", "Zhengzhou", []unit{{"JS", "金水区", "Jinshui", nil}, {"ZY", "中原区", "Zhongyuan", nil}, {"EQ", "二七区", "Erqi", nil}, {"GC", "管城区", "Guancheng", nil}}},
		{"LY", "洛阳市", "Luoyang", []unit{{"XG", "西工区", "Xigong", nil}, {"LC", "老城区", "Laocheng", nil}, {"JX", "涧西区", "Jianxi", nil}}},
		{"KF", "开封市", "Kaifeng", []unit{{"LT", "龙亭区", "Longting", nil}, {"GL", "鼓楼区", "Gulou", nil}, {"SH", "顺河区", "Shunhe", nil}}},
	}},
}

// Default sizes at Scale 1.
const (
	defaultProvinces = 3
	defaultCities    = 9
	defaultCounties  = 25
	minCities        = 3 // the three planted stories need three distinct cities
	minCountiesEach  = 2 // every city has at least two counties
)

// tree is the chosen hierarchy: provinces, cities and counties in generation order.
type tree struct {
	provinces []Branch
	cities    []Branch
	counties  map[string][]Branch // city id → its counties
	names     map[string]Branch
}

// Hierarchy returns every branch the generator names for cfg, provinces first, then cities, then
// counties, each level in generation order. Scale sets the size: at 1 it is 3 provinces, 9 cities
// and 25 counties; the counts grow linearly with Scale up to the 8 provinces, 27 cities and 103
// counties the generator knows, and never fall below 1 province, 3 cities and 2 counties a city.
func Hierarchy(cfg Config) []Branch {
	t := buildTree(cfg.withDefaults().Scale)
	out := append([]Branch(nil), t.provinces...)
	out = append(out, t.cities...)
	for _, c := range t.cities {
		out = append(out, t.counties[c.ID]...)
	}
	return out
}

func buildTree(scale float64) *tree {
	nProv := clamp(int(math.Round(defaultProvinces*scale)), 1, len(pool))
	provs := pool[:nProv]
	avail := 0
	for _, p := range provs {
		avail += len(p.kids)
	}
	nCity := clamp(int(math.Round(defaultCities*scale)), minCities, avail)

	// Cities round-robin over the provinces, so each province gets its largest cities first.
	type cityRef struct {
		prov int
		u    unit
	}
	var picked []cityRef
	for depth := 0; len(picked) < nCity; depth++ {
		for pi, p := range provs {
			if depth < len(p.kids) && len(picked) < nCity {
				picked = append(picked, cityRef{pi, p.kids[depth]})
			}
		}
	}
	availCounties := 0
	for _, c := range picked {
		availCounties += len(c.u.kids)
	}
	nCounty := clamp(int(math.Round(defaultCounties*scale)), minCountiesEach*len(picked), availCounties)
	take := make([]int, len(picked))
	for i := range take {
		take[i] = minCountiesEach
	}
	for n := minCountiesEach * len(picked); n < nCounty; {
		for i, c := range picked {
			if take[i] < len(c.u.kids) && n < nCounty {
				take[i]++
				n++
			}
		}
	}

	t := &tree{counties: map[string][]Branch{}, names: map[string]Branch{}}
	add := func(b Branch) Branch { t.names[b.ID] = b; return b }
	used := make([]bool, nProv)
	for _, c := range picked {
		used[c.prov] = true
	}
	for pi, p := range provs {
		if used[pi] {
			t.provinces = append(t.provinces, add(Branch{ID: p.code, Name: p.name, NameEN: p.en, Level: 1}))
		}
	}
	for i, c := range picked {
		cityID := provs[c.prov].code + "-" + c.u.code
		t.cities = append(t.cities, add(Branch{ID: cityID, Name: c.u.name, NameEN: c.u.en, Level: 2}))
		for _, k := range c.u.kids[:take[i]] {
			t.counties[cityID] = append(t.counties[cityID],
				add(Branch{ID: cityID + "-" + k.code, Name: k.name, NameEN: k.en, Level: 3}))
		}
	}
	return t
}

func clamp(v, lo, hi int) int {
	if v > hi {
		v = hi
	}
	if v < lo {
		v = lo
	}
	return v
}

// province returns the province id of a city or county id.
func province(id string) string {
	if i := strings.IndexByte(id, '-'); i >= 0 {
		return id[:i]
	}
	return id
}
